import Heads

/// The targets of multi-label classification, which BertKit's core knows nothing of: the task
/// kind gives each text a 0/1 vector over the K labels, a batch joins them into a (B, K) matrix
/// (row-major), and the head's binary cross-entropy reads it.
public struct LabelVectors: HeadTargets, Equatable {
    public var values: [Float]
    public init(_ values: [Float]) { self.values = values }

    public static func batch(_ rows: [LabelVectors], sequenceLength: Int) -> LabelVectors {
        LabelVectors(rows.flatMap(\.values))
    }
}
