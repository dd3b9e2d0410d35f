import Backbone
import Foundation
import Heads
import Tokenizers
import TaskFile
import TaskMetrics

/// Token classification (NER) on CoNLL files: words and tags from the file (converted to IOB2),
/// the label on each word's first sub-token, sentences cut into overlapping windows instead of
/// truncated, optional document context, seqeval metrics on word-level tags, predictions written
/// back in the file's scheme. `bertkit predict` takes raw text and returns entities.
final class TokenClassificationTask: TaskKind {
    let spec: TaskSpec
    let encoder: NERFeatureEncoder
    public let labels: [String]
    private var sentences: [Split: [CoNLLSentence]] = [:]
    /// What each feature of a split predicts, from the last `features(_:)` call.
    private var plans: [Split: [NERFeaturePlan]] = [:]
    /// The raw-text words of the last `predictionFeatures(for:)` call, and its plans.
    private var rawWords: [RawTextWords] = []
    private var rawPlans: [NERFeaturePlan] = []

    public var defaultMetric: String { "f1" }
    public static var formats: [DataFormat] { [.conll] }
    /// Strict IOB2 scores too, when the task's metrics ask for them.
    var strict: Bool { spec.metrics.contains("seqeval_strict") }

    public init(context: TaskKindContext) throws {
        spec = context.spec
        let data = spec.data
        let files = Split.allCases.compactMap { split in ClassificationTask.url(of: split, in: data).map { (split, $0) } }
        guard files.isEmpty || data.format == .conll else {
            throw TaskError.invalid("task `\(spec.name)`: token classification reads conll files, not \(data.format.rawValue)")
        }
        for (split, url) in files {
            let limit = split == .train ? data.maxTrainExamples : data.maxEvalExamples
            sentences[split] = try CoNLLReader.read(url: url, spec: data, limit: limit, requireTags: split != .test)
        }
        if let fixed = context.checkpointLabels, !fixed.isEmpty, data.labels == nil {
            // A fine-tuned checkpoint's labels keep their indices; new training tags cannot be learnt.
            if let train = sentences[.train], let url = data.train {
                _ = try NERLabels.fromTraining(train, declared: fixed, path: url.path)
            }
            labels = fixed
        } else if let train = sentences[.train], let url = data.train {
            labels = try NERLabels.fromTraining(train, declared: data.labels, path: url.path)
        } else if let declared = data.labels {
            labels = declared
        } else {
            throw TaskError.invalid("task `\(spec.name)`: no training data and no label list (data.labels) to evaluate against")
        }
        encoder = NERFeatureEncoder(tokenizer: context.tokenizer, maxSeqLength: spec.training.maxSeqLength,
                                    documentContext: spec.training.documentContext,
                                    labelAllTokens: spec.training.labelAllTokens, labels: labels)
    }

    public func features(_ split: Split) throws -> [EncodedFeature] {
        guard let list = sentences[split] else { return [] }
        let (features, splitPlans) = encoder.encode(list, wordTokens: encoder.wordTokens(list.map(\.words)))
        plans[split] = splitPlans
        return features
    }

    /// What each feature of `split` predicts (after `features(split)`).
    func featurePlans(_ split: Split) -> [NERFeaturePlan] { plans[split] ?? [] }

    public func evaluate(_ split: Split, outputs: [FeatureOutput]) throws -> Evaluation {
        try evaluate(split, outputs: outputs, decoder: nil)
    }

    public func evaluate(_ split: Split, outputs: [FeatureOutput], head: Head) throws -> Evaluation {
        try evaluate(split, outputs: outputs, decoder: head)
    }

    func evaluate(_ split: Split, outputs: [FeatureOutput], decoder: Head?) throws -> Evaluation {
        let list = sentences[split] ?? []
        if plans[split] == nil { _ = try features(split) }
        let (predicted, _) = decode(plans[split]!, outputs: outputs, wordCounts: list.map(\.words.count), decoder: decoder)
        let written = predicted.map { NERLabels.write($0, in: spec.data.scheme) }
        let files = ["predictions.conll": NERPredictionFiles.conll(list, predicted: written)]
        let lines = NERPredictionFiles.jsonLines(list, predicted: written)
        let gold = list.compactMap(\.tags)
        guard gold.count == list.count, !list.isEmpty else {
            return Evaluation(metrics: [:], report: .null, predictions: lines, files: files)
        }
        let report = try Seqeval.evaluate(gold: gold, predicted: predicted, mode: .default)
        var metrics = ["precision": report.precision, "recall": report.recall, "f1": report.f1, "accuracy": report.accuracy]
        var reports: [String: JSONValue] = ["seqeval": report.jsonValue]
        if strict {
            let strictReport = try Seqeval.evaluate(gold: gold, predicted: predicted, mode: .strict)
            metrics["strict_precision"] = strictReport.precision
            metrics["strict_recall"] = strictReport.recall
            metrics["strict_f1"] = strictReport.f1
            reports["seqeval_strict"] = strictReport.jsonValue
        }
        return Evaluation(metrics: metrics, report: .object(reports), predictions: lines, files: files)
    }

    /// Each sentence's predicted IOB2 tags and their probabilities, one per word.
    ///
    /// Windows are merged first: each word takes its "logits" row (K scores) from the window
    /// that owns it, giving the sentence's word-level scores (N, K). Then the sentence is
    /// decoded as a whole: by `decoder`'s `decode(sequenceScores:classes:)` when it returns a
    /// path (a CRF's Viterbi over the merged sequence), else by argmax per word. A word's score
    /// is the softmax probability of its tag under its own logits.
    func decode(_ plans: [NERFeaturePlan], outputs: [FeatureOutput], wordCounts: [Int],
                decoder: Head? = nil) -> (tags: [[String]], scores: [[Double]]) {
        let k = labels.count
        // (N, K) per sentence; a word no window predicts keeps zeros (argmax: the first label)
        var wordScores = wordCounts.map { [Float](repeating: 0, count: $0 * k) }
        var covered = wordCounts.map { [Bool](repeating: false, count: $0) }
        for (plan, output) in zip(plans, outputs) {
            let logits = output.values["logits"] ?? []
            for (word, position) in zip(plan.words, plan.positions) where (position + 1) * k <= logits.count {
                wordScores[plan.sentence].replaceSubrange(word * k..<(word + 1) * k, with: logits[position * k..<(position + 1) * k])
                covered[plan.sentence][word] = true
            }
        }
        var tags = wordCounts.map { [String](repeating: "O", count: $0) }
        var scores = wordCounts.map { [Double](repeating: 0, count: $0) }
        for (sentence, count) in wordCounts.enumerated() where count > 0 {
            let path = decoder?.decode(sequenceScores: wordScores[sentence], classes: k)
            for word in 0..<count where covered[sentence][word] {
                let p = softmaxProbabilities(Array(wordScores[sentence][word * k..<(word + 1) * k]))
                let best = path?[word] ?? (p.indices.max { p[$0] < p[$1] } ?? 0)
                tags[sentence][word] = labels[best]
                scores[sentence][word] = p[best]
            }
        }
        return (tags, scores)
    }

    public static let predictionFields: PredictionFields? = PredictionFields(required: ["text"])

    public func predictionFeatures(for lines: [JSONValue]) throws -> [EncodedFeature] {
        rawWords = try lines.enumerated().map { index, line in
            guard case .object(let object) = line, case .string(let text)? = object["text"] else {
                throw TaskError.invalid("line \(index + 1): expected {\"text\": ...}")
            }
            return RawTextWords(text: text, tokenizer: encoder.tokenizer)
        }
        // each text is its own document: no context crosses inputs
        let inputs = rawWords.enumerated().map { CoNLLSentence(words: $1.words, tags: nil, line: $0 + 1, document: $0) }
        let (features, plans) = encoder.encode(inputs, wordTokens: rawWords.map { $0.tokens.map { Array($0.prefix(encoder.budget)) } })
        rawPlans = plans
        return features
    }

    public func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput]) throws -> [String] {
        try describePredictions(for: lines, outputs: outputs, decoder: nil)
    }

    public func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput], head: Head) throws -> [String] {
        try describePredictions(for: lines, outputs: outputs, decoder: head)
    }

    func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput], decoder: Head?) throws -> [String] {
        let (tags, scores) = decode(rawPlans, outputs: outputs, wordCounts: rawWords.map(\.words.count), decoder: decoder)
        return zip(lines, rawWords).enumerated().map { index, pair in
            guard case .object(let object) = pair.0, case .string(let text)? = object["text"] else { return "{}" }
            let entities = EntityMerging.entities(tags: tags[index], scores: scores[index], spans: pair.1.spans, text: text)
            return jsonLine([
                "entities": .array(entities.map { entity in
                    .object(["type": .string(entity.type), "text": .string(entity.text), "start": .number(Double(entity.start)),
                             "end": .number(Double(entity.end)), "score": .number(entity.score)])
                }),
                "words": .array(pair.1.words.map { .string($0) }),
                "tags": .array(tags[index].map { .string($0) }),
            ])
        }
    }
}
