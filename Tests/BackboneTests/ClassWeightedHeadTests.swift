import Foundation
import XCTest
import Tensor
import Backbone
import Heads

/// `class_weights` in the heads: the balanced weights as scikit-learn computes them, the weighted
/// loss of the tiny-bert heads against the formula, and which heads take weights.
final class ClassWeightedHeadTests: XCTestCase {
    /// scikit-learn: compute_class_weight("balanced", classes=[0, 1, 2], y=[0, 0, 1, 0, 2, 0, 1, 0, 1, 0])
    /// is n / (k · bincount(y)) = 10 / (3 · [6, 3, 1]) = [0.5556, 1.1111, 3.3333].
    func testBalancedWeightsOfSequenceLabels() throws {
        let rows = [0, 0, 1, 0, 2, 0, 1, 0, 1, 0].map { SequenceLabels([Int32($0)]) }
        let counts = try XCTUnwrap(BalancedClassWeights.counts(in: rows, classes: 3))
        XCTAssertEqual(counts, [6, 3, 1])
        let weights = BalancedClassWeights.weights(counts: counts)
        XCTAssertEqual(weights.count, 3)
        XCTAssertEqual(weights[0], 10.0 / 18, accuracy: 1e-6)
        XCTAssertEqual(weights[1], 10.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(weights[2], 10.0 / 3, accuracy: 1e-6)
        // every class carries the same total weight, n / k
        for (weight, count) in zip(weights, counts) { XCTAssertEqual(weight * Float(count), 10.0 / 3, accuracy: 1e-5) }
    }

    /// Token labels count the positions the loss reads, not -100 ([CLS], [SEP], later sub-tokens,
    /// padding). Class 2 never occurs: weight 0, and k = 3 classes, so the others are
    /// compute_class_weight("balanced", classes=[0, 1, 3], y=[0, 1, 0, 3, 0, 0]) = 6 / (3 · [4, 1, 1]).
    func testBalancedWeightsOfTokenLabelsSkipIgnoredPositions() throws {
        let rows = [TokenLabels([-100, 0, 1, -100, 0, -100]), TokenLabels([-100, 3, 0, 0, -100])]
        // a batch pads its rows with -100: the same counts
        let batched = TokenLabels.batch(rows, sequenceLength: 8)
        for targets in [rows, [batched]] {
            XCTAssertEqual(BalancedClassWeights.counts(in: targets, classes: 4), [4, 1, 0, 1])
        }
        XCTAssertEqual(BalancedClassWeights.weights(counts: [4, 1, 0, 1]), [0.5, 2, 0, 2])
    }

    /// Span positions are not class indices: nothing to count.
    func testOtherTargetsAreNotCounted() {
        XCTAssertNil(BalancedClassWeights.counts(in: [SpanPositions(starts: [3], ends: [5])], classes: 2))
        XCTAssertNil(BalancedClassWeights.counts(in: [SequenceLabels([0]), SpanPositions(starts: [3], ends: [5])], classes: 2))
    }

    /// Σ w[y]·(-log softmax(z)[y]) / Σ w[y] over the rows whose label is not -100, in Double,
    /// written out here apart from the engine's crossEntropy.
    static func weightedCrossEntropy(logits: [Float], classes k: Int, labels: [Int32], weights: [Float]) -> Double {
        var lossSum = 0.0, weightSum = 0.0
        for (row, label) in labels.enumerated() where label != -100 {
            let z = logits[(row * k)..<((row + 1) * k)].map(Double.init)
            let top = z.max()!
            let logSumExp = top + log(z.map { exp($0 - top) }.reduce(0, +))
            let w = Double(weights[Int(label)])
            lossSum += w * (logSumExp - z[Int(label)])
            weightSum += w
        }
        return lossSum / weightSum
    }

    /// The sequence- and token-classification heads on tiny-bert's reference batch: with weights
    /// set, the loss is the weighted cross-entropy of the same logits, and not the unweighted one.
    func testWeightedLossOfTheTinyBertHeads() throws {
        for c in TinyBertHeadTests.cases where c.descriptor.acceptsClassWeights {
            let (model, _, batch, targets) = try TinyBertHeadTests.load(c)
            let head = try XCTUnwrap(model.head as? any ClassWeightedHead, c.folder)
            var stream = RandomStream(key: 0)
            let output = model(batch, training: false, stream: &stream)
            let logits = output["logits"]!
            let k = logits.shape.last!
            let labels = (targets as? SequenceLabels)?.labels ?? (targets as! TokenLabels).labels
            XCTAssertGreaterThan(Set(labels.filter { $0 != -100 }).count, 1, "\(c.folder): the batch has several classes")
            let weights = (0..<k).map { Float($0 + 1) * 0.75 }    // 0.75, 1.5, 2.25, ...
            let unweighted = try model.head.loss(output, targets: targets).item
            head.classWeights = weights
            let weighted = try model.head.loss(output, targets: targets).item
            let expected = Self.weightedCrossEntropy(logits: logits.values, classes: k, labels: labels, weights: weights)
            XCTAssertEqual(Double(weighted), expected, accuracy: 1e-5, c.folder)
            XCTAssertEqual(Double(unweighted), Self.weightedCrossEntropy(logits: logits.values, classes: k, labels: labels,
                                                                         weights: Array(repeating: 1, count: k)),
                           accuracy: 1e-5, c.folder)
            XCTAssertGreaterThan(abs(weighted - unweighted), 1e-3, "\(c.folder): the weights change the loss")
        }
    }

    /// A descriptor's `acceptsClassWeights` says what its head is: validation trusts the one,
    /// the runner the other.
    func testBuiltInDescriptorsSayWhetherTheirHeadTakesWeights() throws {
        let config = try ModelFolder(Fixtures.tinyBert).config()
        let expected = ["sequence-classification": true, "token-classification": true, "span-extraction": false, "masked-lm": false]
        for descriptor in BuiltInHeads.all {
            let head = try descriptor.make(HeadContext(config: config, labels: ["a", "b", "c"], backbone: BertModel(config: config)))
            XCTAssertEqual(descriptor.acceptsClassWeights, expected[descriptor.name], descriptor.name)
            XCTAssertEqual(head is any ClassWeightedHead, expected[descriptor.name], descriptor.name)
        }
    }
}
