import Backbone
import Foundation
import Heads
import Tokenizers
import TaskFile

/// The splits of a task's data.
public enum Split: String, Sendable, CaseIterable {
    case train, eval, test
}

/// One feature's head outputs, copied out of the batch: per output name, its values
/// (e.g. "logits": K values for a sequence, T·K for a token tagger, unpadded).
public struct FeatureOutput: Sendable {
    public var values: [String: [Float]]
    public init(values: [String: [Float]]) { self.values = values }
}

/// What evaluating a split gives.
public struct Evaluation {
    /// Flat metric name -> value ("accuracy", "f1", "eval_loss", ...), for history, plots and
    /// the best-checkpoint choice.
    public var metrics: [String: Double]
    /// The full report (per-class scores, confusion matrix, ...), written to metrics.json.
    public var report: JSONValue
    /// One JSON object per example, written to predictions.jsonl.
    public var predictions: [String]
    /// Other files to write beside them (name -> contents), e.g. predictions.json for SQuAD.
    public var files: [String: Data]

    public init(metrics: [String: Double], report: JSONValue, predictions: [String], files: [String: Data] = [:]) {
        self.metrics = metrics
        self.report = report
        self.predictions = predictions
        self.files = files
    }
}

/// A task kind turns a task's files into features (with the targets its head trains on) and a
/// split's outputs into metrics and predictions; before any of that, it checks its task's `data:`
/// block for `bertkit validate`. The head's descriptor names the kind it serves
/// (`HeadDescriptor.taskKind`); `TaskKindRegistry` builds kinds by name.
public protocol TaskKind: AnyObject {
    /// Reads the task's data (and the label list) for training, evaluation or prediction.
    init(context: TaskKindContext) throws

    /// The data formats this kind reads (`bertkit validate` checks `data.format` against them).
    static var formats: [DataFormat] { get }

    /// `data:` keys this kind reads beyond those of its formats (`bertkit validate` accepts them
    /// for its tasks). Default: none.
    static var dataKeys: Set<String> { get }

    /// Problems in a task's `data:` block that show without loading the model or reading whole
    /// files (`bertkit validate`, for a task whose format is one of `formats`). Default: none.
    static func checkData(_ data: DataSpec, fileExists: (URL) -> Bool) -> [DataProblem]

    /// The text fields of one prediction input (a JSON line of `bertkit predict`, an input sent
    /// to the server), so that a caller can check them and name the field before encoding.
    /// Default nil: the kind's own encoder checks its inputs.
    static var predictionFields: PredictionFields? { get }

    /// Class names in index order (saved in the checkpoint), or empty.
    var labels: [String] { get }
    /// The metric that picks the best checkpoint unless the task file names another.
    var defaultMetric: String { get }

    /// The features of a split (empty when the task file has no such split).
    func features(_ split: Split) throws -> [EncodedFeature]

    /// The training features of epoch `epoch` (0-based), from those `features(.train)` gave.
    /// Default: the same features every epoch. A kind whose inputs are drawn anew each epoch (the
    /// masks of masked language modelling) draws them here from `key` alone, a key the trainer
    /// derives from the run's seed and the epoch, so that a resumed run draws the same; a
    /// feature's count and lengths must not change.
    func trainingFeatures(_ features: [EncodedFeature], epoch: Int, key: UInt64) -> [EncodedFeature]

    /// Metrics and predictions from the outputs of every feature of the split, in feature order.
    func evaluate(_ split: Split, outputs: [FeatureOutput]) throws -> Evaluation

    /// Predictions for raw inputs (`bertkit predict`): the JSON lines in, JSON lines out.
    func predictionFeatures(for lines: [JSONValue]) throws -> [EncodedFeature]
    func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput]) throws -> [String]

    /// As `evaluate(_:outputs:)` and `describePredictions(for:outputs:)`, given the head that
    /// made the outputs, so that a kind can let the head decode whole sequences
    /// (`Head.decode(sequenceScores:classes:)`). The runner calls these; by default they ignore
    /// the head.
    func evaluate(_ split: Split, outputs: [FeatureOutput], head: Head) throws -> Evaluation
    func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput], head: Head) throws -> [String]
}

extension TaskKind {
    public static func checkData(_ data: DataSpec, fileExists: (URL) -> Bool) -> [DataProblem] { [] }
    public static var dataKeys: Set<String> { [] }
    public func trainingFeatures(_ features: [EncodedFeature], epoch: Int, key: UInt64) -> [EncodedFeature] { features }
    public static var predictionFields: PredictionFields? { nil }

    public func evaluate(_ split: Split, outputs: [FeatureOutput], head: Head) throws -> Evaluation {
        try evaluate(split, outputs: outputs)
    }
    public func describePredictions(for lines: [JSONValue], outputs: [FeatureOutput], head: Head) throws -> [String] {
        try describePredictions(for: lines, outputs: outputs)
    }
}

/// The text fields a prediction input carries: `required` ones must be non-empty strings,
/// `optional` ones non-empty strings, null or absent.
public struct PredictionFields: Sendable, Equatable {
    public var required: [String]
    public var optional: [String]

    public init(required: [String], optional: [String] = []) {
        self.required = required
        self.optional = optional
    }
}

/// What a task kind is built from.
public struct TaskKindContext {
    public var spec: TaskSpec
    public var tokenizer: BertTokenizer
    /// The label list a fine-tuned checkpoint carries (its id2label), used as is when present.
    public var checkpointLabels: [String]?
    /// The model's vocabulary rows (config.json's vocab_size), which may exceed the tokenizer's
    /// tokens: a padded vocabulary. Nil where the caller has no model (then the tokenizer's count).
    public var vocabularySize: Int?
    public var warn: (String) -> Void

    public init(spec: TaskSpec, tokenizer: BertTokenizer, checkpointLabels: [String]?, vocabularySize: Int? = nil,
                warn: @escaping (String) -> Void) {
        self.spec = spec
        self.tokenizer = tokenizer
        self.checkpointLabels = checkpointLabels
        self.vocabularySize = vocabularySize
        self.warn = warn
    }
}

/// Task kinds by name; the built-in ones are registered with the built-in heads, an external
/// head module registers its own.
public enum TaskKindRegistry {
    // Unsafe, and sound as used: registered at start-up on the main thread (with the heads),
    // before any command runs; read-only afterwards.
    nonisolated(unsafe) private static var kinds: [String: TaskKind.Type] = [:]

    public static func register(_ name: String, _ kind: TaskKind.Type) {
        kinds[name] = kind
    }

    public static var names: [String] { kinds.keys.sorted() }

    public static func make(_ name: String, context: TaskKindContext) throws -> TaskKind {
        guard let kind = kinds[name] else {
            throw TaskError.unknownTaskKind(name, known: names)
        }
        return try kind.init(context: context)
    }

    /// What `bertkit validate` checks of a `data:` block for the kind `name` (nil if none is
    /// registered under it).
    public static func rules(for name: String) -> TaskKindRules? {
        kinds[name].map { kind in
            TaskKindRules(kind: name, formats: kind.formats, dataKeys: kind.dataKeys, checkData: { kind.checkData($0, fileExists: $1) })
        }
    }

    /// Registers the kinds this module implements.
    public static func registerBuiltIns() {
        register("classification", ClassificationTask.self)
        register("token-classification", TokenClassificationTask.self)
        register("span-extraction", SpanExtractionTask.self)
        register("language-modeling", LanguageModelingTask.self)
    }
}

public enum TaskError: Error, CustomStringConvertible {
    case unknownTaskKind(String, known: [String])
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownTaskKind(let name, let known): return "no task kind `\(name)` is registered (known: \(known.joined(separator: ", ")))"
        case .invalid(let message): return message
        }
    }
}
