import Backbone
import Foundation
import Heads
import Tokenizers
import TaskFile
import TaskMetrics

/// Sequence classification of single texts or text pairs: `[CLS] a [SEP] (b [SEP])`, type ids
/// 0/1, longest-first truncation to max_seq_length; labels from strings or integers, the list
/// fixed by the training data (or declared, or carried by a fine-tuned checkpoint).
final class ClassificationTask: TaskKind {
    let spec: TaskSpec
    let tokenizer: BertTokenizer
    public let labels: [String]
    private var examples: [Split: [ClassificationExample]] = [:]
    public var defaultMetric: String { labels.count == 2 ? "f1" : "accuracy" }
    public static var formats: [DataFormat] { [.tsv, .csv, .jsonl] }

    public init(context: TaskKindContext) throws {
        spec = context.spec
        tokenizer = context.tokenizer
        let data = spec.data
        guard Self.formats.contains(data.format) else {
            throw TaskError.invalid("task `\(spec.name)`: classification reads tsv, csv or jsonl, not \(data.format.rawValue)")
        }
        for split in Split.allCases {
            guard let url = Self.url(of: split, in: data) else { continue }
            if split == .eval && data.skipEvalExamples > 0 {
                let limit = data.maxEvalExamples.map { $0 + data.skipEvalExamples }
                let all = try ClassificationReader.read(url: url, spec: data, limit: limit, requireLabels: true)
                guard all.count > data.skipEvalExamples else {
                    throw TaskError.invalid("\(url.path): skip_eval_examples \(data.skipEvalExamples) leaves no examples (the file has \(all.count))")
                }
                examples[split] = Array(all.dropFirst(data.skipEvalExamples))
                continue
            }
            let limit = split == .train ? data.maxTrainExamples : data.maxEvalExamples
            examples[split] = try ClassificationReader.read(url: url, spec: data, limit: limit, requireLabels: split != .test)
        }
        if let fixed = context.checkpointLabels, !fixed.isEmpty, examples[.train] == nil || data.labels == nil {
            labels = fixed
        } else if let train = examples[.train], let url = data.train {
            labels = try LabelSet.fromTraining(train, declared: data.labels, path: url.path)
        } else if let declared = data.labels {
            labels = declared
        } else {
            throw TaskError.invalid("task `\(spec.name)`: no training data and no label list (data.labels) to evaluate against")
        }
        guard labels.count >= 2 else {
            throw TaskError.invalid("task `\(spec.name)`: classification needs at least 2 labels, found \(labels)")
        }
    }

    static func url(of split: Split, in data: DataSpec) -> URL? {
        switch split {
        case .train: return data.train
        case .eval: return data.eval
        case .test: return data.test
        }
    }

    public func features(_ split: Split) throws -> [EncodedFeature] {
        guard let list = examples[split], let url = Self.url(of: split, in: spec.data) else { return [] }
        // Only splits with labels get targets; an unlabelled test split is predicted, not scored.
        let indices: [Int32]? = list.allSatisfy({ $0.label != nil })
            ? try LabelSet.indices(of: list, labels: labels, path: url.path) : nil
        var features = try encode(list.map { ($0.text, $0.textPair) })
        if let indices { for i in features.indices { features[i].targets = SequenceLabels([indices[i]]) } }
        return features
    }

    /// Tokenizes (text, pair) inputs: one feature per input, in order. A length that cannot hold
    /// an input's special tokens is an error: dropping the input instead would leave fewer
    /// features than inputs, and answers or scores matched to the wrong inputs.
    func encode(_ inputs: [(String, String?)]) throws -> [EncodedFeature] {
        let truncation = Truncation(maxLength: spec.training.maxSeqLength, strategy: .longestFirst)
        let batch: BatchEncoding
        do {
            batch = try tokenizer.encodeBatch(inputs.map { TokenizerInput.text($0.0, pair: $0.1) }, truncation: truncation,
                                              padding: nil, threads: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw TaskError.invalid("task `\(spec.name)`: max_seq_length \(spec.training.maxSeqLength) is too short: \(error)")
        }
        var features: [EncodedFeature] = []
        features.reserveCapacity(inputs.count)
        // one window per input: classification never returns overflow windows
        var seen = Set<Int>()
        for (window, input) in zip(batch.encodings, batch.windowToInput) where seen.insert(input).inserted {
            features.append(EncodedFeature(inputIDs: window.ids.map(Int32.init), tokenTypeIDs: window.typeIds.map(Int32.init), exampleIndex: input))
        }
        return features
    }

    public func evaluate(_ split: Split, outputs: [FeatureOutput]) throws -> Evaluation {
        let list = examples[split] ?? []
        let probabilities = outputs.map { softmaxProbabilities($0.values["logits"] ?? []) }
        let predicted = probabilities.map { p in p.indices.max { p[$0] < p[$1] } ?? 0 }
        var lines: [String] = []
        lines.reserveCapacity(list.count)
        for (i, example) in list.enumerated() {
            var object: [String: JSONValue] = ["id": .string(example.id), "predicted": .string(labels[predicted[i]]),
                                               "probabilities": .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, .number(Double(probabilities[i][$0.offset]))) }))]
            if let gold = example.label { object["gold"] = .string(gold) }
            lines.append(jsonLine(object))
        }
        guard list.allSatisfy({ $0.label != nil }), let url = Self.url(of: split, in: spec.data) else {
            return Evaluation(metrics: [:], report: .null, predictions: lines)
        }
        let gold = try LabelSet.indices(of: list, labels: labels, path: url.path).map(Int.init)
        let report = ClassificationMetrics.compute(gold: gold, predicted: predicted, labelNames: labels)
        var metrics: [String: Double] = [
            "accuracy": report.accuracy, "macro_f1": report.macro.f1, "micro_f1": report.micro.f1,
            "weighted_f1": report.weighted.f1, "mcc": report.matthewsCorrelation,
        ]
        if let binary = report.binary {
            metrics["f1"] = binary.f1
            metrics["precision"] = binary.precision
            metrics["recall"] = binary.recall
        } else {
            metrics["f1"] = report.macro.f1
            metrics["precision"] = report.macro.precision
            metrics["recall"] = report.macro.recall
        }
        return Evaluation(metrics: metrics, report: report.jsonValue, predictions: lines)
    }

    public static let predictionFields: PredictionFields? = PredictionFields(required: ["text"], optional: ["text_pair"])

    public func predictionFeatures(for lines: [JSONValue]) throws -> [EncodedFeature] {
        let inputs: [(String, String?)] = try lines.enumerated().map { index, line in
            guard case .object(let object) = line, case .string(let text)? = object["text"] else {
                throw TaskError.invalid("line \(index + 1): expected {\"text\": ...} with an optional \"text_pair\"")
            }
            if case .string(let pair)? = object["text_pair"] { return (text, pair) }
            return (text, nil)
        }
        return try encode(inputs)
    }

    public func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput]) throws -> [String] {
        outputs.map { output in
            let p = softmaxProbabilities(output.values["logits"] ?? [])
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            return jsonLine(["label": .string(labels[best]), "score": .number(Double(p[best])),
                             "probabilities": .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, .number(Double(p[$0.offset]))) }))])
        }
    }
}

/// softmax in Double of one row of logits.
func softmaxProbabilities(_ logits: [Float]) -> [Double] {
    guard let m = logits.max() else { return [] }
    let e = logits.map { Foundation.exp(Double($0 - m)) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

/// A compact JSON line with sorted keys.
public func jsonLine(_ object: [String: JSONValue]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(object)) ?? Data("{}".utf8), as: UTF8.self)
}
