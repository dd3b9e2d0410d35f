import Foundation
import XCTest
@testable import Tensor

final class LossTests: XCTestCase {
    func referenceCrossEntropy(_ logits: [Double], labels: [Int32], classes k: Int, weights: [Double]?) -> Double {
        var total = 0.0, weightSum = 0.0
        for (r, y) in labels.enumerated() where y != -100 {
            let row = Array(logits[r * k..<(r + 1) * k])
            let m = row.max()!
            let logSum = m + log(row.map { exp($0 - m) }.reduce(0, +))
            let w = weights?[Int(y)] ?? 1
            total += w * (logSum - row[Int(y)])
            weightSum += w
        }
        return total / weightSum
    }

    /// Vocabulary-wide rows (a masked LM's) are split over the cores: the loss and the gradient
    /// have the same bits on one thread and on several.
    func testCrossEntropyOverWideRowsHasTheSameBitsOnAnyThreadCount() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let labels: [Int32] = (0..<64).map { $0 % 7 == 3 ? -100 : Int32(($0 * 977) % 3000) }
        var results: [(loss: UInt32, gradient: [UInt32])] = []
        for threads in [1, 2, 4] {
            Parallel.threadCount = threads
            let logits = GradientCheck.random([64, 3000], scale: 4, seed: 53)
            let loss = crossEntropy(logits: logits, labels: labels)
            loss.backward()
            results.append((loss.item.bitPattern, logits.grad!.values.map(\.bitPattern)))
        }
        for result in results.dropFirst() {
            XCTAssertEqual(result.loss, results[0].loss)
            XCTAssertTrue(result.gradient == results[0].gradient)
        }
        let logits = GradientCheck.random([64, 3000], scale: 4, seed: 53)
        let expected = referenceCrossEntropy(logits.values.map(Double.init), labels: labels, classes: 3000, weights: nil)
        XCTAssertEqual(Double(Float(bitPattern: results[0].loss)), expected, accuracy: 1e-5 * expected)
    }

    func testCrossEntropyIgnoresMinus100() {
        let logits = GradientCheck.random([6, 5], scale: 3, seed: 51)
        let labels: [Int32] = [2, -100, 0, 4, -100, 1]
        GradientCheck().run([logits], forward: { crossEntropy(logits: $0[0], labels: labels) },
                            reference: { v in [self.referenceCrossEntropy(v[0], labels: labels, classes: 5, weights: nil)] })
    }

    func testCrossEntropyWithClassWeightsAsTorch() {
        let logits = GradientCheck.random([5, 3], scale: 2, seed: 52)
        let labels: [Int32] = [0, 2, 2, -100, 1]
        let weights: [Float] = [0.5, 2.0, 1.25]
        GradientCheck().run([logits], forward: { crossEntropy(logits: $0[0], labels: labels, classWeights: weights) },
                            reference: { v in [self.referenceCrossEntropy(v[0], labels: labels, classes: 3, weights: weights.map(Double.init))] })
    }

    func testCrossEntropyKnownValue() {
        // Two equal logits: -log(1/2) = log 2.
        let loss = crossEntropy(logits: Tensor(shape: [1, 2], values: [0.3, 0.3]), labels: [1])
        XCTAssertEqual(loss.item, Float(log(2.0)), accuracy: 1e-7)
    }

    func testCrossEntropyAllIgnoredIsNaNAsTorch() {
        let loss = crossEntropy(logits: Tensor(shape: [2, 2], values: [1, 2, 3, 4]), labels: [-100, -100])
        XCTAssertTrue(loss.item.isNaN)
    }

    func testMeanSquaredError() {
        let prediction = GradientCheck.random([4, 1], seed: 53)
        let target: [Float] = [0.5, -1, 2, 0]
        GradientCheck().run([prediction], forward: { meanSquaredError(prediction: $0[0], target: target) }, reference: { v in
            var sum = 0.0
            for i in 0..<4 {
                let d: Double = v[0][i] - Double(target[i])
                sum += d * d
            }
            return [sum / 4]
        })
    }
}
