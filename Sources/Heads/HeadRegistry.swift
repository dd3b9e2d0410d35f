import Backbone
import Tensor

/// What a head needs to be built: the backbone's config, the task's labels, and the head's own
/// settings (the task file's `head_config` block, as JSON-like values).
public struct HeadContext {
    public var config: BertConfig
    /// Class names, in index order (empty for heads without classes).
    public var labels: [String]
    public var options: [String: JSONValue]
    /// The backbone the head will sit on, for a head that shares its tensors (the masked LM's
    /// decoder is the word-embedding matrix itself); `TaskModel.load` gives it.
    public var backbone: BertModel?
    public init(config: BertConfig, labels: [String], options: [String: JSONValue] = [:], backbone: BertModel? = nil) {
        self.config = config
        self.labels = labels
        self.options = options
        self.backbone = backbone
    }

    /// transformers' classifier dropout: classifier_dropout when set, else hidden_dropout_prob.
    public var classifierDropout: Float { config.classifierDropout ?? config.hiddenDropoutProb }

    /// A string option, checked against the allowed values.
    public func string(_ key: String, default value: String, allowed: [String], head: String) throws -> String {
        guard let raw = options[key] else { return value }
        guard case .string(let text) = raw, allowed.contains(text) else {
            throw HeadError.invalidConfig(head: head, "`\(key)` must be one of \(allowed.joined(separator: ", ")), found \(raw)")
        }
        return text
    }
}

/// How to build a head by name; the executable registers these before running the CLI.
public struct HeadDescriptor: Sendable {
    public let name: String
    /// The transformers architecture whose checkpoints build this head when loaded.
    public let architecture: String
    /// The task kind whose data this head trains on ("classification", "token-classification", "span-extraction", ...).
    public let taskKind: String
    public let summary: String
    /// The `head_config` keys this head accepts (anything else is an error naming the key).
    public let optionKeys: Set<String>
    /// Whether the head it makes takes the task file's `class_weights` (a `ClassWeightedHead`);
    /// `bertkit validate` refuses the key for any other head.
    public let acceptsClassWeights: Bool
    public let make: @Sendable (HeadContext) throws -> Head

    public init(name: String, architecture: String, taskKind: String, summary: String,
                optionKeys: Set<String> = [], acceptsClassWeights: Bool = false,
                make: @escaping @Sendable (HeadContext) throws -> Head) {
        self.name = name
        self.architecture = architecture
        self.taskKind = taskKind
        self.summary = summary
        self.optionKeys = optionKeys
        self.acceptsClassWeights = acceptsClassWeights
        self.make = make
    }
}

/// The heads a program knows, by name. Filled by the executable (`bertkit`'s main.swift, or an
/// external package's) before the CLI runs; nothing in Tasks or Runner names a concrete head.
public enum HeadRegistry {
    // Unsafe, and sound as used: an executable registers its heads at start-up, on the main
    // thread, before any command runs; afterwards the registry is only read.
    nonisolated(unsafe) private static var descriptors: [String: HeadDescriptor] = [:]

    public static func register(_ descriptor: HeadDescriptor) { descriptors[descriptor.name] = descriptor }

    public static var all: [HeadDescriptor] { descriptors.values.sorted { $0.name < $1.name } }

    public static func descriptor(named name: String) throws -> HeadDescriptor {
        guard let found = descriptors[name] else { throw HeadError.unknownHead(name, known: all.map(\.name)) }
        return found
    }
}

/// The heads transformers defines, as descriptors.
public enum BuiltInHeads {
    public static let sequenceClassification = HeadDescriptor(
        name: "sequence-classification", architecture: "BertForSequenceClassification", taskKind: "classification",
        summary: "one label per text or text pair: pooled output -> dropout -> classifier (MSE with one label)",
        optionKeys: ["pooling"], acceptsClassWeights: true) { context in
            let pooling = try context.string("pooling", default: "pooler", allowed: SequenceClassificationHead.Pooling.allCases.map(\.rawValue), head: "sequence-classification")
            return SequenceClassificationHead(hiddenSize: context.config.hiddenSize, labels: max(context.labels.count, 1),
                                              pooling: SequenceClassificationHead.Pooling(rawValue: pooling)!,
                                              dropout: context.classifierDropout)
        }

    public static let tokenClassification = HeadDescriptor(
        name: "token-classification", architecture: "BertForTokenClassification", taskKind: "token-classification",
        summary: "one tag per word (NER): dropout -> classifier on each first sub-token",
        acceptsClassWeights: true) { context in
            TokenClassificationHead(hiddenSize: context.config.hiddenSize, labels: context.labels.count, dropout: context.classifierDropout)
        }

    public static let spanExtraction = HeadDescriptor(
        name: "span-extraction", architecture: "BertForQuestionAnswering", taskKind: "span-extraction",
        summary: "extractive QA: start and end logits over the context tokens") { context in
            SpanExtractionHead(hiddenSize: context.config.hiddenSize)
        }

    public static let maskedLM = HeadDescriptor(
        name: "masked-lm", architecture: "BertForMaskedLM", taskKind: "language-modeling",
        summary: "masked language modelling (continued pre-training, fill-mask): transform -> decoder tied to the word embeddings, at the masked tokens") { context in
            guard let backbone = context.backbone else {
                throw HeadError.invalidConfig(head: "masked-lm", "its decoder is the backbone's word-embedding matrix: build it with TaskModel.load, which gives the backbone")
            }
            if case .bool(false)? = context.config.raw["tie_word_embeddings"] {
                throw HeadError.invalidConfig(head: "masked-lm", "config.json sets `tie_word_embeddings` to false; BertKit's masked-LM decoder is always the word-embedding matrix")
            }
            return MaskedLMHead(config: context.config, wordEmbeddings: backbone.embeddings.wordEmbeddings.weight)
        }

    public static let all = [sequenceClassification, tokenClassification, spanExtraction, maskedLM]

    /// Registers the built-in heads.
    public static func register() { all.forEach(HeadRegistry.register) }
}
