import Backbone
import Tensor

/// A head maps the backbone's output to its own outputs and a loss. It is a `Module`: its
/// parameters carry their checkpoint names relative to the model root (`classifier.weight`,
/// `qa_outputs.bias`), beside the backbone's `bert.*`; `TaskModel` saves and loads them under
/// those names, and `HeadDescriptor.make` builds the head from the task file's `head_config`.
///
/// To add a head: conform to this protocol in a Swift module of your own, describe it with a
/// `HeadDescriptor` (its name, the task kind whose data it trains on, its `head_config` keys),
/// and register that in your executable's main.swift before running the CLI (docs/heads.md).
/// The protocol is the contract between a head and the rest of BertKit: outputs by name,
/// a loss, and optionally the decoding of a sequence.
public protocol Head: Module {
    /// The name the task file's `head:` line uses (e.g. "sequence-classification").
    var name: String { get }
    /// The transformers class whose checkpoint layout this head saves (`architectures` in config.json).
    var architecture: String { get }

    /// Outputs by name ("logits"; "start_logits" and "end_logits"), computed from the backbone's.
    func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput

    /// Whether the head's outputs or loss read the backbone's states at padding positions.
    /// When false, `TaskModel` lets the backbone skip padding (its states there are zero): the
    /// same results at real tokens for less work on batches of mixed lengths. Default: true
    /// (a span-extraction loss is a softmax over every position, padding included).
    var readsPaddingPositions: Bool { get }

    /// The training loss of `output` against `targets` (a scalar).
    func loss(_ output: HeadOutput, targets: HeadTargets) throws -> Tensor

    /// Decodes one whole sequence (a sentence's words, in order, after the task kind has merged
    /// its windows) from its per-position scores, `scores` (N, K) row-major: N class indices.
    /// nil means the task kind decodes each position on its own (argmax); a head with a joint
    /// decoder (a CRF's Viterbi) returns its path. Default: nil.
    func decode(sequenceScores scores: [Float], classes: Int) -> [Int]?
}

extension Head {
    public var readsPaddingPositions: Bool { true }
    public func decode(sequenceScores scores: [Float], classes: Int) -> [Int]? { nil }
}

/// A head's outputs by name, e.g. ["logits": (B, K)].
public struct HeadOutput {
    public var tensors: [String: Tensor]
    /// Names of outputs whose second dimension is the token position ((B, T, ...)), so that an
    /// evaluator can cut each sequence's padding off.
    public var perToken: Set<String>
    public init(_ tensors: [String: Tensor], perToken: Set<String> = []) {
        self.tensors = tensors
        self.perToken = perToken
    }
    public subscript(name: String) -> Tensor? { tensors[name] }
}

/// What a batch is trained against; each head reads the fields its task kind fills.
public struct HeadTargets: Sendable {
    /// One class per sequence (B), or per token (B·T) with -100 for ignored positions.
    public var labels: [Int32]?
    /// One value per sequence for regression (one-label sequence classification).
    public var values: [Float]?
    /// Token positions of the answer span (B); positions outside the sequence are ignored.
    public var startPositions: [Int32]?
    public var endPositions: [Int32]?
    /// A (B, K) 0/1 matrix for multi-label heads.
    public var labelMatrix: [Float]?

    public init(labels: [Int32]? = nil, values: [Float]? = nil, startPositions: [Int32]? = nil,
                endPositions: [Int32]? = nil, labelMatrix: [Float]? = nil) {
        self.labels = labels
        self.values = values
        self.startPositions = startPositions
        self.endPositions = endPositions
        self.labelMatrix = labelMatrix
    }
}

public enum HeadError: Error, CustomStringConvertible, Equatable {
    case missingTargets(head: String, field: String)
    case unknownHead(String, known: [String])
    case invalidConfig(head: String, String)

    public var description: String {
        switch self {
        case .missingTargets(let head, let field): return "head `\(head)` needs `\(field)` targets to compute a loss"
        case .unknownHead(let name, let known): return "unknown head `\(name)` (registered: \(known.joined(separator: ", ")))"
        case .invalidConfig(let head, let why): return "head `\(head)`: \(why)"
        }
    }
}
