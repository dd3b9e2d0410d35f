import Backbone
import Heads

/// A padded batch of features and the targets the head trains against.
public struct FeatureBatch: Sendable {
    public var tokens: TokenBatch
    /// The rows' targets joined (`HeadTargets.batch`); nil when a row has none (an unlabelled split).
    public var targets: (any HeadTargets)?

    /// Pads the features at `indices` to the longest of them (or to `padTo`).
    public init(features: [EncodedFeature], indices: [Int], padID: Int32, padTo length: Int? = nil) {
        let chosen = indices.map { features[$0] }
        let t = max(length ?? 0, chosen.map(\.length).max() ?? 0)
        tokens = TokenBatch(sequences: chosen.map(\.inputIDs), typeIDs: chosen.map(\.tokenTypeIDs), padID: padID, padTo: t)
        let rows = chosen.compactMap(\.targets)
        targets = rows.count == chosen.count ? rows.first.flatMap { Self.join(rows, like: $0, sequenceLength: t) } : nil
    }

    /// The rows joined by the type of `first` (every row of a split has the same type).
    private static func join<T: HeadTargets>(_ rows: [any HeadTargets], like first: T, sequenceLength: Int) -> (any HeadTargets)? {
        T.batch(ofAny: rows, sequenceLength: sequenceLength)
    }
}
