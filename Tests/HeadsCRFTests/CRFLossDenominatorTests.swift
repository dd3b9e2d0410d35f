import XCTest
import Heads
import HeadsCRF
import Tensor

/// The CRF head on data-parallel ranks: the mean over sequences with a labelled position, cut in
/// two parts divided by the summed counts, adds up to the whole batch's loss and gradients.
final class CRFLossDenominatorTests: XCTestCase {
    func testPartsAddUpToTheWholeBatch() throws {
        let head = CRFTokenClassificationHead(hiddenSize: 4, labels: ["O", "B-Z", "I-Z"], dropout: 0)
        var stream = RandomStream(key: 21)
        for t in [head.transitions, head.startTransitions, head.endTransitions] {
            for i in 0..<t.count { t.data[i] = Float(stream.nextNormal()) * 0.5 }
        }
        // 4 windows of 5 positions; the third has no labelled position and is left out of the mean
        let labels: [Int32] = [-100, 0, 1, 2, -100,  1, 2, 0, -100, -100,  -100, -100, -100, -100, -100,  0, 0, 1, -100, -100]
        let values = (0..<60).map { _ in Float(stream.nextNormal()) }
        let whole = Tensor(shape: [4, 5, 3], values: values, requiresGrad: true)
        let wholeLoss = try head.loss(HeadOutput(["logits": whole], perToken: ["logits"]), targets: TokenLabels(labels))
        wholeLoss.backward()
        let parts = [0..<3, 3..<4].map { rows in
            Tensor(shape: [rows.count, 5, 3], values: Array(values[(rows.lowerBound * 15)..<(rows.upperBound * 15)]), requiresGrad: true)
        }
        let partLabels = [Array(labels[0..<15]), Array(labels[15..<20])]
        let counts = try zip(parts, partLabels).map { try head.lossDenominators(HeadOutput(["logits": $0], perToken: ["logits"]), targets: TokenLabels($1)) }
        XCTAssertEqual(counts, [[2], [1]])
        var sum = 0.0
        for (part, labels) in zip(parts, partLabels) {
            let loss = try head.loss(HeadOutput(["logits": part], perToken: ["logits"]), targets: TokenLabels(labels), denominators: [3])
            sum += Double(loss.item)
            loss.backward()
        }
        XCTAssertEqual(sum, Double(wholeLoss.item), accuracy: 1e-6 * abs(Double(wholeLoss.item)))
        let joined = parts[0].grad!.values + parts[1].grad!.values
        let largest = whole.grad!.values.map(abs).max()!
        XCTAssertGreaterThan(largest, 0)
        for (a, b) in zip(joined, whole.grad!.values) { XCTAssertEqual(a, b, accuracy: 1e-6 * largest) }
    }
}
