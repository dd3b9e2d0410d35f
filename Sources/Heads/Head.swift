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

    /// Whether the head reads the backbone's pooled output (`BertOutput.pooledOutput`): then
    /// `TaskModel.load` refuses a checkpoint without a pooler. Default: false.
    var readsPooledOutput: Bool { get }

    /// Whether pre-training trained this head (a masked LM's `cls.predictions.*`), so that a
    /// checkpoint without its tensors is worth a warning when `TaskModel.load` starts it fresh: it
    /// predicts noise until trained. Default: false (a new classifier on a pre-trained backbone
    /// is the usual start).
    var expectsPretrainedWeights: Bool { get }

    /// Other names a checkpoint may hold a parameter of this head under, as transformers reads
    /// them: parameter name -> aliases, tried in order when the name itself is absent
    /// (BertForMaskedLM's `cls.predictions.decoder.bias` is `cls.predictions.bias`). Default: none.
    var checkpointAliases: [String: [String]] { get }

    /// The training loss of `output` against `targets` (a scalar): the targets the head's task
    /// kind gives its features, joined per batch (`HeadTargets`).
    func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor

    /// Data-parallel training (docs/distributed.md): what the loss of this batch averages over,
    /// one count per averaged term (sequences, labelled tokens, the class weights of the labels),
    /// so that the ranks can sum them. Default: one term, the batch's sequences.
    func lossDenominators(_ output: HeadOutput, targets: any HeadTargets) throws -> [Double]

    /// The loss with each term divided by `denominators` (the sums over all ranks of
    /// `lossDenominators`) instead of this batch's own counts: the ranks' losses then add up to
    /// the loss of the whole global batch, and so do their gradients. With this batch's own
    /// counts it is `loss(_:targets:)`. Default: `loss(_:targets:)` times this batch's share of
    /// the sequences, exact for a loss that is a mean over sequences.
    func loss(_ output: HeadOutput, targets: any HeadTargets, denominators: [Double]) throws -> Tensor

    /// What an evaluation or a prediction keeps of a batch's outputs, given the batch's targets
    /// when its features have them (nil otherwise). Default: `output` itself. A head whose work
    /// depends on the targets computes here what its task kind reads (the masked LM: each
    /// labelled position's loss and best token; for fill-mask, the logits at the asked positions),
    /// so that nothing vocabulary-sized is kept per position.
    func predictionOutputs(_ output: HeadOutput, targets: (any HeadTargets)?) throws -> HeadOutput

    /// The loss of an evaluation batch (its mean feeds the `loss` metric of a task kind that
    /// gives none of its own), given `kept`, what `predictionOutputs` made of the same batch.
    /// Default: `loss(output, targets:)`. A head whose prediction outputs already score every
    /// target (the masked LM keeps each labelled position's loss) reads them instead, so that an
    /// evaluation runs its work once per batch, not twice.
    func evaluationLoss(_ output: HeadOutput, kept: HeadOutput, targets: any HeadTargets) throws -> Double

    /// Decodes one whole sequence (a sentence's words, in order, after the task kind has merged
    /// its windows) from its per-position scores, `scores` (N, K) row-major: N class indices.
    /// nil means the task kind decodes each position on its own (argmax); a head with a joint
    /// decoder (a CRF's Viterbi) returns its path. Default: nil.
    func decode(sequenceScores scores: [Float], classes: Int) -> [Int]?
}

extension Head {
    /// `targets` as the type this head trains on, or the error that names both types.
    public func requireTargets<T: HeadTargets>(_ type: T.Type, in targets: any HeadTargets) throws -> T {
        guard let typed = targets as? T else {
            throw HeadError.unexpectedTargets(head: name, expected: "\(T.self)", found: "\(Swift.type(of: targets))")
        }
        return typed
    }

    public func lossDenominators(_ output: HeadOutput, targets: any HeadTargets) throws -> [Double] {
        [Double(output.batchSize)]
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets, denominators: [Double]) throws -> Tensor {
        let share = Double(output.batchSize) / denominators[0]
        return scale(try loss(output, targets: targets), by: Float(share))
    }

    public var readsPaddingPositions: Bool { true }
    public var readsPooledOutput: Bool { false }
    public var expectsPretrainedWeights: Bool { false }
    public func predictionOutputs(_ output: HeadOutput, targets: (any HeadTargets)?) throws -> HeadOutput { output }
    public func evaluationLoss(_ output: HeadOutput, kept: HeadOutput, targets: any HeadTargets) throws -> Double {
        Double(try loss(output, targets: targets).item)
    }
    public var checkpointAliases: [String: [String]] { [:] }
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
    /// The batch's sequences: every output's first dimension.
    public var batchSize: Int { tensors.values.first?.shape.first ?? 0 }
}

public enum HeadError: Error, CustomStringConvertible, Equatable {
    case unexpectedTargets(head: String, expected: String, found: String)
    case unknownHead(String, known: [String])
    case invalidConfig(head: String, String)

    public var description: String {
        switch self {
        case .unexpectedTargets(let head, let expected, let found): return "head `\(head)` trains on \(expected) targets, not \(found)"
        case .unknownHead(let name, let known): return "unknown head `\(name)` (registered: \(known.joined(separator: ", ")))"
        case .invalidConfig(let head, let why): return "head `\(head)`: \(why)"
        }
    }
}
