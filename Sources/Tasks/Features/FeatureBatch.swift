import Backbone
import Heads

/// A padded batch of features and the targets the head trains against.
public struct FeatureBatch: Sendable {
    public var tokens: TokenBatch
    public var targets: HeadTargets
    /// Which features (indices into the split's feature array) are in the batch, in row order.
    public var featureIndices: [Int]

    /// Pads the features at `indices` to the longest of them (or to `padTo`).
    public init(features: [EncodedFeature], indices: [Int], padID: Int32, padTo length: Int? = nil) {
        let chosen = indices.map { features[$0] }
        let t = max(length ?? 0, chosen.map(\.length).max() ?? 0)
        tokens = TokenBatch(sequences: chosen.map(\.inputIDs), typeIDs: chosen.map(\.tokenTypeIDs), padID: padID, padTo: t)
        featureIndices = indices
        var targets = HeadTargets()
        if chosen.allSatisfy({ $0.label != nil }) { targets.labels = chosen.map { $0.label! } }
        if chosen.allSatisfy({ $0.value != nil }) { targets.values = chosen.map { $0.value! } }
        if chosen.allSatisfy({ $0.tokenLabels != nil }) {
            // per token, padded with -100 (no loss on padding)
            targets.labels = chosen.flatMap { $0.tokenLabels! + Array(repeating: -100, count: t - $0.length) }
        }
        if chosen.allSatisfy({ $0.startPosition != nil && $0.endPosition != nil }) {
            targets.startPositions = chosen.map { $0.startPosition! }
            targets.endPositions = chosen.map { $0.endPosition! }
        }
        if chosen.allSatisfy({ $0.labelVector != nil }) { targets.labelMatrix = chosen.flatMap { $0.labelVector! } }
        self.targets = targets
    }
}
