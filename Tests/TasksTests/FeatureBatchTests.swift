import XCTest
import Foundation
import Backbone
import Heads
@testable import Tasks
import Tensor

/// A batch joins its features' targets by their own type: per-token labels padded with -100 to
/// the batch's length, per-sequence ones in row order; an unlabelled row leaves the batch without.
final class FeatureBatchTests: XCTestCase {
    func feature(_ ids: [Int32], _ targets: (any HeadTargets)?) -> EncodedFeature {
        EncodedFeature(inputIDs: ids, tokenTypeIDs: ids.map { _ in 0 }, exampleIndex: 0, targets: targets)
    }

    func testTokenLabelsArePaddedWithIgnoredToTheBatchLength() throws {
        let features = [feature([101, 7, 102], TokenLabels([-100, 2, -100])),
                        feature([101, 5, 6, 8, 102], TokenLabels([-100, 0, 1, -100, -100])),
                        feature([101, 102], TokenLabels([-100, -100]))]
        let batch = FeatureBatch(features: features, indices: [2, 0, 1], padID: 0)
        XCTAssertEqual(batch.targets as? TokenLabels, TokenLabels([-100, -100, -100, -100, -100,
                                                                   -100, 2, -100, -100, -100,
                                                                   -100, 0, 1, -100, -100]))
        let padded = FeatureBatch(features: features, indices: [0], padID: 0, padTo: 6)
        XCTAssertEqual(padded.targets as? TokenLabels, TokenLabels([-100, 2, -100, -100, -100, -100]))
    }

    func testSequenceTargetsJoinInRowOrder() {
        let features = [feature([101, 7, 102], SpanPositions(starts: [1], ends: [1])),
                        feature([101, 102], SpanPositions(starts: [0], ends: [0])),
                        feature([101, 5, 6, 102], SpanPositions(starts: [2], ends: [3]))]
        let batch = FeatureBatch(features: features, indices: [2, 0], padID: 0)
        XCTAssertEqual(batch.targets as? SpanPositions, SpanPositions(starts: [2, 1], ends: [3, 1]))
        XCTAssertEqual(FeatureBatch(features: [feature([1], SequenceLabels([4])), feature([1, 2], SequenceLabels([0]))],
                                    indices: [1, 0], padID: 0).targets as? SequenceLabels, SequenceLabels([0, 4]))
    }

    func testAnUnlabelledRowLeavesTheBatchWithoutTargets() {
        let features = [feature([101, 7, 102], SequenceLabels([1])), feature([101, 102], nil)]
        XCTAssertNil(FeatureBatch(features: features, indices: [0, 1], padID: 0).targets)
        XCTAssertNotNil(FeatureBatch(features: features, indices: [0], padID: 0).targets)
    }

    /// The head reads its own type of targets and names both types when given another.
    func testAHeadRefusesTargetsOfAnotherType() throws {
        let head = TokenClassificationHead(hiddenSize: 4, labels: 3, dropout: 0)
        let output = HeadOutput(["logits": Tensor(shape: [1, 2, 3], values: [0, 1, 2, 2, 1, 0])], perToken: ["logits"])
        XCTAssertThrowsError(try head.loss(output, targets: SequenceLabels([1]))) { error in
            XCTAssertEqual(error as? HeadError, .unexpectedTargets(head: "token-classification", expected: "TokenLabels", found: "SequenceLabels"))
            XCTAssertEqual("\(error)", "head `token-classification` trains on TokenLabels targets, not SequenceLabels")
        }
        // label 2 at position 0 (log-softmax of [0, 1, 2] at 2), position 1 ignored
        let loss = try head.loss(output, targets: TokenLabels([2, -100]))
        XCTAssertEqual(Double(loss.item), -(2 - log(exp(0.0) + exp(1.0) + exp(2.0))), accuracy: 1e-6)
    }
}
