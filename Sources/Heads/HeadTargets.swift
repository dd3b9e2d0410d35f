/// What a batch is trained against. A task kind gives each feature its targets as a batch of one
/// row; the batcher joins a batch's rows with `batch(_:sequenceLength:)`; the head's loss reads
/// the type it trains on (`Head.requireTargets(_:in:)`). A plugin task kind and its head bring a
/// type of their own (Examples/custom-head's `LabelVectors`), so the core holds no field per kind.
public protocol HeadTargets: Sendable {
    /// The targets of a padded batch from those of its rows, in row order; `sequenceLength` is
    /// the batch's padded length T, for targets given per token.
    static func batch(_ rows: [Self], sequenceLength: Int) -> Self
}

extension HeadTargets {
    /// The batch of `rows` when every one of them is of this type, else nil.
    public static func batch(ofAny rows: [any HeadTargets], sequenceLength: Int) -> Self? {
        let typed = rows.compactMap { $0 as? Self }
        return typed.count == rows.count ? batch(typed, sequenceLength: sequenceLength) : nil
    }
}

/// One class index per sequence: (B).
public struct SequenceLabels: HeadTargets, Equatable {
    public var labels: [Int32]
    public init(_ labels: [Int32]) { self.labels = labels }

    public static func batch(_ rows: [SequenceLabels], sequenceLength: Int) -> SequenceLabels {
        SequenceLabels(rows.flatMap(\.labels))
    }
}

/// One class index per token, `ignored` (-100) where no loss is taken (later sub-tokens, special
/// tokens, context words, padding): (B·T) row-major.
public struct TokenLabels: HeadTargets, Equatable {
    public static let ignored: Int32 = -100
    public var labels: [Int32]
    public init(_ labels: [Int32]) { self.labels = labels }

    /// Each row padded with `ignored` to the batch's length: no loss on padding.
    public static func batch(_ rows: [TokenLabels], sequenceLength: Int) -> TokenLabels {
        TokenLabels(rows.flatMap { $0.labels + Array(repeating: ignored, count: sequenceLength - $0.labels.count) })
    }
}

/// The answer's start and end token per sequence: (B) each; [CLS] (0) when the answer is not in
/// the window.
public struct SpanPositions: HeadTargets, Equatable {
    public var starts: [Int32]
    public var ends: [Int32]
    public init(starts: [Int32], ends: [Int32]) {
        self.starts = starts
        self.ends = ends
    }

    public static func batch(_ rows: [SpanPositions], sequenceLength: Int) -> SpanPositions {
        SpanPositions(starts: rows.flatMap(\.starts), ends: rows.flatMap(\.ends))
    }
}

/// The positions a prediction asks the vocabulary distribution of (fill-mask: the [MASK]
/// tokens), per sequence in order: (B) lists of positions within their sequence. No loss reads
/// them; a masked-LM head's `predictionOutputs` computes its logits there.
public struct MaskedPositions: HeadTargets, Equatable {
    public var positions: [[Int]]
    public init(_ positions: [[Int]]) { self.positions = positions }

    public static func batch(_ rows: [MaskedPositions], sequenceLength: Int) -> MaskedPositions {
        MaskedPositions(rows.flatMap(\.positions))
    }
}

/// Targets that are class indices, as a cross-entropy loss reads them: what
/// `class_weights: balanced` counts (`BalancedClassWeights`).
public protocol ClassIndexTargets: HeadTargets {
    /// The class indices the loss reads, in order; positions it ignores are left out.
    var classIndices: [Int32] { get }
}

extension SequenceLabels: ClassIndexTargets {
    public var classIndices: [Int32] { labels }
}

extension TokenLabels: ClassIndexTargets {
    public var classIndices: [Int32] { labels.filter { $0 != Self.ignored } }
}
