import Backbone
import Foundation
import Heads
import Tasks
import Tokenizers
import TaskFile

/// One example of a multi-label JSONL file: {"text": ..., "labels": [...]} (labels may be
/// absent in a test file).
struct MultiLabelExample {
    var text: String
    var labels: [String]?
    /// 1-based line in its file, for error messages.
    var line: Int
}

/// The task kind "multi-label-classification": JSONL lines {"text", "labels": [names]} (the keys
/// are `data.text` and `data.label`, default "label", so a task file says `label: labels`;
/// `bertkit validate` checks them in each file's first line, MultiLabelDataCheck.swift), one
/// feature per line ([CLS] text [SEP], truncated to max_seq_length), a 0/1 vector over the label
/// list as the target (`LabelVectors`); evaluation thresholds σ(logit) at 0.5 and reports micro
/// and macro F1. The label list is `data.labels` when declared, else every name in the training
/// file, sorted.
public final class MultiLabelTask: TaskKind {
    let spec: TaskSpec
    let tokenizer: BertTokenizer
    public let labels: [String]
    private var examples: [Split: [MultiLabelExample]] = [:]
    public var defaultMetric: String { "micro_f1" }
    public static var formats: [DataFormat] { [.jsonl] }

    public init(context: TaskKindContext) throws {
        spec = context.spec
        tokenizer = context.tokenizer
        guard spec.data.format == .jsonl else {
            throw TaskError.invalid("task `\(spec.name)`: multi-label classification reads jsonl, not \(spec.data.format.rawValue)")
        }
        for (split, url) in [(Split.train, spec.data.train), (.eval, spec.data.eval), (.test, spec.data.test)] {
            guard let url else { continue }
            examples[split] = try Self.read(url, textKey: try Self.key(spec.data.text), labelsKey: Self.key(spec.data.label),
                                            requireLabels: split != .test)
        }
        if let fixed = context.checkpointLabels, !fixed.isEmpty, spec.data.labels == nil {
            labels = fixed
        } else if let declared = spec.data.labels {
            labels = declared
        } else if let train = examples[.train] {
            labels = Set(train.flatMap { $0.labels ?? [] }).sorted()
        } else {
            throw TaskError.invalid("task `\(spec.name)`: no training data and no label list (data.labels)")
        }
        for (split, list) in examples {
            for example in list {
                for name in example.labels ?? [] where !labels.contains(name) {
                    throw TaskError.invalid("\(spec.name) \(split.rawValue) line \(example.line): label `\(name)` is not in the label list \(labels)")
                }
            }
        }
    }

    static func key(_ column: ColumnReference) throws -> String {
        guard case .name(let name) = column else { throw TaskError.invalid("multi-label jsonl files name their keys: \(column) is a column number") }
        return name
    }

    /// Reads a JSONL file; errors name the file and line.
    static func read(_ url: URL, textKey: String, labelsKey: String, requireLabels: Bool) throws -> [MultiLabelExample] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var result: [MultiLabelExample] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy({ $0 == " " || $0 == "\r" }) {
            let place = "\(url.path):\(index + 1)"
            guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)),
                  case .string(let content)? = object[textKey] else {
                throw TaskError.invalid("\(place): expected a JSON object with a string \"\(textKey)\"")
            }
            var names: [String]?
            if case .array(let values)? = object[labelsKey] {
                names = try values.map { value in
                    guard case .string(let name) = value else { throw TaskError.invalid("\(place): \"\(labelsKey)\" must be a list of strings") }
                    return name
                }
            } else if requireLabels {
                throw TaskError.invalid("\(place): no \"\(labelsKey)\" list")
            }
            result.append(MultiLabelExample(text: content, labels: names, line: index + 1))
        }
        return result
    }

    public func features(_ split: Split) throws -> [EncodedFeature] {
        let list = examples[split] ?? []
        var features = try encode(list.map(\.text))
        for (i, example) in list.enumerated() {
            guard let names = example.labels else { continue }
            features[i].targets = LabelVectors(labels.map { names.contains($0) ? 1 : 0 })
        }
        return features
    }

    func encode(_ texts: [String]) throws -> [EncodedFeature] {
        let truncation = Truncation(maxLength: spec.training.maxSeqLength)
        return try texts.enumerated().map { index, text in
            let encoding = try tokenizer.encode(.text(text, pair: nil), truncation: truncation)[0]
            return EncodedFeature(inputIDs: encoding.ids.map(Int32.init), tokenTypeIDs: encoding.typeIds.map(Int32.init), exampleIndex: index)
        }
    }

    /// Each feature's label probabilities σ(logit), and the labels at or above 0.5.
    func decide(_ outputs: [FeatureOutput]) -> (probabilities: [[Double]], predicted: [Set<Int>]) {
        let probabilities = outputs.map { ($0.values["logits"] ?? []).map { 1 / (1 + Foundation.exp(-Double($0))) } }
        return (probabilities, probabilities.map { p in Set(p.indices.filter { p[$0] >= 0.5 }) })
    }

    public func evaluate(_ split: Split, outputs: [FeatureOutput]) throws -> Evaluation {
        let list = examples[split] ?? []
        let (probabilities, predicted) = decide(outputs)
        let lines = zip(list, zip(probabilities, predicted)).map { example, decision in
            var object: [String: JSONValue] = [
                "text": .string(example.text),
                "predicted": .array(decision.1.sorted().map { .string(labels[$0]) }),
                "probabilities": .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, .number(decision.0[$0.offset])) })),
            ]
            if let gold = example.labels { object["gold"] = .array(gold.map { .string($0) }) }
            return jsonLine(object)
        }
        guard !list.isEmpty, list.allSatisfy({ $0.labels != nil }) else {
            return Evaluation(metrics: [:], report: .null, predictions: lines)
        }
        let gold = list.map { Set($0.labels!.compactMap { labels.firstIndex(of: $0) }) }
        let scores = MultiLabelMetrics(gold: gold, predicted: predicted, labelCount: labels.count)
        let report: JSONValue = .object([
            "micro_f1": .number(scores.microF1), "macro_f1": .number(scores.macroF1), "exact_match": .number(scores.exactMatch),
            "per_label_f1": .object(Dictionary(uniqueKeysWithValues: zip(labels, scores.perLabelF1).map { ($0, .number($1)) })),
        ])
        return Evaluation(metrics: ["micro_f1": scores.microF1, "macro_f1": scores.macroF1, "exact_match": scores.exactMatch],
                          report: report, predictions: lines)
    }

    public func predictionFeatures(for lines: [JSONValue]) throws -> [EncodedFeature] {
        try encode(lines.enumerated().map { index, line in
            guard case .object(let object) = line, case .string(let text)? = object["text"] else {
                throw TaskError.invalid("line \(index + 1): expected {\"text\": ...}")
            }
            return text
        })
    }

    public func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput]) throws -> [String] {
        let (probabilities, predicted) = decide(outputs)
        return zip(probabilities, predicted).map { p, chosen in
            jsonLine(["labels": .array(chosen.sorted().map { .string(labels[$0]) }),
                      "probabilities": .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, .number(p[$0.offset])) }))])
        }
    }
}
