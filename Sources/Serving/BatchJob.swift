import Backbone
import Foundation
import Tasks

/// What a forward pass computes: the head's outputs, or sentence vectors from the backbone.
/// One pass runs one kind.
enum ForwardKind: Sendable, Equatable {
    case predict
    case embed(EmbeddingOptions)

    /// Whether features of both kinds can share a forward pass (embeddings of any pooling can:
    /// the pooling is applied to the shared backbone output).
    func sharesPass(with other: ForwardKind) -> Bool {
        switch (self, other) {
        case (.predict, .predict), (.embed, .embed): return true
        default: return false
        }
    }
}

/// How `/v1/embed` turns a sequence's states into one vector.
struct EmbeddingOptions: Sendable, Hashable {
    var pooling: SentenceEmbedding.Pooling
    var normalize: Bool
}

/// One request's features on their way through the batch thread. A request's features may be
/// split over several forward passes; it is answered once all of them have outputs, or fails
/// whole. `next` changes under the batcher's lock; `outputs`, `answered` and `failed` only on
/// the batch thread; the rest never changes.
final class BatchJob: @unchecked Sendable {
    let kind: ForwardKind
    let features: [EncodedFeature]
    /// The inputs the request was admitted with (the queue counts inputs, not features).
    let inputCount: Int
    let arrival: Date
    let continuation: CheckedContinuation<[FeatureOutput], Error>

    /// The first feature not yet taken into a forward pass.
    var next = 0
    var outputs: [FeatureOutput?]
    var answered = 0
    var failed = false

    init(kind: ForwardKind, features: [EncodedFeature], inputCount: Int, continuation: CheckedContinuation<[FeatureOutput], Error>) {
        self.kind = kind
        self.features = features
        self.inputCount = inputCount
        self.arrival = Date()
        self.continuation = continuation
        self.outputs = Array(repeating: nil, count: features.count)
    }

    var isFullyTaken: Bool { next == features.count }
}
