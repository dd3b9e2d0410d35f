import Heads
import Tasks

/// The targets the built-in kinds give their features, read back as the tests compare them.
extension EncodedFeature {
    /// Token classification: one label per token (nil without tags).
    var tokenLabels: [Int32]? { (targets as? TokenLabels)?.labels }
    /// Span extraction: the answer's start and end token (nil for an unlabelled window).
    var startPosition: Int32? { (targets as? SpanPositions)?.starts.first }
    var endPosition: Int32? { (targets as? SpanPositions)?.ends.first }
}
