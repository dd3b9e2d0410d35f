import Backbone
import Foundation
import Heads
import Tokenizers
import TaskFile
import TaskMetrics

/// Extractive question answering on SQuAD v1.1 / v2.0 files, with transformers' run_qa.py +
/// utils_qa.py semantics: windows of max_seq_length over the context sharing doc_stride tokens
/// (QAFeatureEncoder), answers labelled at their tokens or at [CLS] (QAAnswerLabels), the n-best
/// span search per example over its windows (QAPostProcessor), and the official evaluators'
/// metrics (SquadMetrics). SQuAD v2 when `version_2_with_negative` says so, or else when a file
/// says `"version": "v2.0"` or has an unanswerable question.
final class SpanExtractionTask: TaskKind {
    let spec: TaskSpec
    let encoder: QAFeatureEncoder
    public let postProcessor: QAPostProcessor
    private var datasets: [Split: SquadDataset] = [:]
    private var windows: [Split: [QAWindow]] = [:]
    /// The windows of the last `predictionFeatures(for:)` call, for `describePredictions`.
    private var predictionWindows: [QAWindow] = []

    public var labels: [String] { [] }
    public var defaultMetric: String { "f1" }
    public static var formats: [DataFormat] { [.squad] }
    public var versionTwoWithNegative: Bool { postProcessor.versionTwoWithNegative }

    public init(context: TaskKindContext) throws {
        spec = context.spec
        let data = spec.data
        let training = spec.training
        encoder = QAFeatureEncoder(tokenizer: context.tokenizer, maxSeqLength: training.maxSeqLength, docStride: training.docStride)
        for split in Split.allCases {
            guard let url = Self.url(of: split, in: data) else { continue }
            guard data.format == .squad else {
                throw TaskError.invalid("task `\(spec.name)`: span extraction reads SQuAD JSON files (format: squad), not \(data.format.rawValue)")
            }
            let limit = split == .train ? data.maxTrainExamples : data.maxEvalExamples
            datasets[split] = try SquadReader.read(url: url, requireAnswers: split != .test, skipInvalid: data.skipInvalid,
                                                   limit: limit, warn: context.warn)
        }
        let fromData = datasets.values.contains { $0.looksLikeVersionTwo }
        postProcessor = QAPostProcessor(nBestSize: training.nBestSize, maxAnswerLength: training.maxAnswerLength,
                                        versionTwoWithNegative: training.versionTwoWithNegative ?? fromData,
                                        nullScoreDiffThreshold: training.nullScoreDiffThreshold)
        if training.versionTwoWithNegative == false && fromData {
            context.warn("task `\(spec.name)`: version_2_with_negative is false but the data has unanswerable questions "
                         + "(they are trained at [CLS] and scored with the v1.1 metric, where they count as wrong)")
        }
    }

    static func url(of split: Split, in data: DataSpec) -> URL? {
        switch split {
        case .train: return data.train
        case .eval: return data.eval
        case .test: return data.test
        }
    }

    /// The questions of a split (empty when the task file has no such split).
    public func examples(_ split: Split) -> [SquadExample] { datasets[split]?.examples ?? [] }

    /// Whether a split's questions all carry answers (then it is scored, and its features labelled).
    func isLabelled(_ split: Split) -> Bool {
        let list = examples(split)
        return !list.isEmpty && list.allSatisfy(\.hasAnswerKey)
    }

    public func features(_ split: Split) throws -> [EncodedFeature] {
        let list = examples(split)
        guard !list.isEmpty else { return [] }
        let labelled = isLabelled(split)
        // Training (and the eval loss) uses the first answer, as run_qa.py.
        let inputs = list.map { example in
            QAFeatureEncoder.Input(id: example.id, question: example.question, context: example.context,
                                   answer: example.answers.first.map { $0.start..<$0.end }, labelled: labelled)
        }
        let (features, splitWindows) = try encoder.encode(inputs)
        windows[split] = splitWindows
        return features
    }

    public func evaluate(_ split: Split, outputs: [FeatureOutput]) throws -> Evaluation {
        let list = examples(split)
        if windows[split] == nil { _ = try features(split) }
        let splitWindows = windows[split] ?? []
        guard splitWindows.count == outputs.count else {
            throw TaskError.invalid("task `\(spec.name)`: \(outputs.count) outputs for \(splitWindows.count) features of the \(split.rawValue) split")
        }
        let predictions = try predict(contexts: list.map(\.context), windows: splitWindows, outputs: outputs)
        let ids = list.map(\.id)
        var files = ["predictions.json": QAPredictionFiles.predictions(ids: ids, predictions: predictions),
                     "nbest_predictions.json": QAPredictionFiles.nBest(ids: ids, predictions: predictions)]
        if versionTwoWithNegative { files["null_odds.json"] = QAPredictionFiles.nullOdds(ids: ids, predictions: predictions) }

        let labelled = isLabelled(split)
        let lines = zip(list, predictions).map { example, prediction in
            var object: [String: JSONValue] = ["id": .string(example.id), "prediction": .string(prediction.text),
                                               "start": .number(Double(prediction.offsets.lowerBound)),
                                               "end": .number(Double(prediction.offsets.upperBound)),
                                               "probability": .number(prediction.probability)]
            if labelled { object["answers"] = .array(example.answers.map { .string($0.text) }) }
            if let difference = prediction.nullScoreDiff { object["null_score_diff"] = .number(difference) }
            return jsonLine(object)
        }
        guard labelled else { return Evaluation(metrics: [:], report: .null, predictions: lines, files: files) }

        let gold = list.map { SquadGold(id: $0.id, answers: $0.answers.map(\.text)) }
        let byID = Dictionary(zip(ids, predictions.map(\.text)), uniquingKeysWith: { first, _ in first })
        let metrics: [String: Double]
        let report: JSONValue
        if versionTwoWithNegative {
            // null_odds.json as the no-answer probabilities, thresholded at null_score_diff_threshold:
            // a difference above it is exactly what made the prediction "", so exact and f1 score
            // predictions.json as written, and best_f1_thresh is the threshold that would be best.
            let odds = Dictionary(zip(ids, predictions.map { $0.nullScoreDiff ?? 0 }), uniquingKeysWith: { first, _ in first })
            let result = try SquadMetrics.v2(gold: gold, predictions: byID, noAnswerProbabilities: odds,
                                             noAnswerThreshold: postProcessor.nullScoreDiffThreshold)
            report = try Self.json(result)
            metrics = Self.numbers(in: report)
        } else {
            let result = SquadMetrics.v1(gold: gold, predictions: byID)
            report = try Self.json(result)
            metrics = ["exact_match": result.exactMatch, "f1": result.f1]
        }
        return Evaluation(metrics: metrics, report: report, predictions: lines, files: files)
    }

    /// Post-processes the outputs of consecutive windows, example by example.
    func predict(contexts: [String], windows: [QAWindow], outputs: [FeatureOutput]) throws -> [QAPostProcessor.Prediction] {
        var perExample = [[QAPostProcessor.WindowLogits]](repeating: [], count: contexts.count)
        for (window, output) in zip(windows, outputs) {
            guard let start = output.values["start_logits"], let end = output.values["end_logits"],
                  start.count == window.contextOffsets.count, end.count == start.count else {
                throw TaskError.invalid("task `\(spec.name)`: the head's outputs lack start_logits/end_logits of the feature's length")
            }
            perExample[window.exampleIndex].append(.init(start: start, end: end, contextOffsets: window.contextOffsets))
        }
        return zip(contexts, perExample).map { postProcessor.predict(context: $0, windows: $1) }
    }

    // MARK: bertkit predict

    public static let predictionFields: PredictionFields? = PredictionFields(required: ["question", "context"])

    public func predictionFeatures(for lines: [JSONValue]) throws -> [EncodedFeature] {
        let inputs = try lines.enumerated().map { index, line -> QAFeatureEncoder.Input in
            guard case .object(let object) = line, case .string(let question)? = object["question"],
                  case .string(let context)? = object["context"] else {
                throw TaskError.invalid("line \(index + 1): expected {\"question\": ..., \"context\": ...}")
            }
            return QAFeatureEncoder.Input(id: "line \(index + 1)", question: question, context: context, answer: nil, labelled: false)
        }
        let (features, windows) = try encoder.encode(inputs)
        predictionWindows = windows
        return features
    }

    /// {"answer", "start", "end", "score"}: the answer is context[start..<end] in code points,
    /// the score its probability among the n-best; v2 models also give "null_score_diff".
    public func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput]) throws -> [String] {
        let contexts = lines.map { line -> String in
            if case .object(let object) = line, case .string(let context)? = object["context"] { return context }
            return ""
        }
        let predictions = try predict(contexts: contexts, windows: predictionWindows, outputs: outputs)
        return predictions.map { prediction in
            var object: [String: JSONValue] = ["answer": .string(prediction.text),
                                               "start": .number(Double(prediction.offsets.lowerBound)),
                                               "end": .number(Double(prediction.offsets.upperBound)),
                                               "score": .number(prediction.probability)]
            if let difference = prediction.nullScoreDiff { object["null_score_diff"] = .number(difference) }
            return jsonLine(object)
        }
    }

    // MARK: helpers

    static func json<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    /// The numeric members of a JSON object.
    static func numbers(in report: JSONValue) -> [String: Double] {
        guard case .object(let members) = report else { return [:] }
        return members.compactMapValues { if case .number(let x) = $0 { return x } else { return nil } }
    }
}
