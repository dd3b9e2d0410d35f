import XCTest
@testable import Tensor

/// `backward(leafGradientIsFinal:)`: each leaf that takes a gradient is reported once, after the
/// last op that reads it, with its gradient final by then (what data-parallel training relies on
/// to sum a gradient while the backward goes on).
final class BackwardHookTests: XCTestCase {
    func testEachLeafIsReportedOnceWithItsFinalGradient() {
        var stream = RandomStream(key: 11)
        func leaf(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(stream.nextNormal()) }, requiresGrad: true)
        }
        let x = Tensor(shape: [3, 4], values: (0..<12).map { Float($0) / 7 })
        let w1 = leaf([5, 4]), b1 = leaf([5]), w2 = leaf([2, 5]), b2 = leaf([2])
        let unused = leaf([3])
        // w1 is read twice: by the first layer and by a penalty term whose backward runs early;
        // it may be reported only after the first layer's backward
        let h = tanh(linear(x, weight: w1, bias: b1))
        let y = linear(h, weight: w2, bias: b2)
        let loss = add(crossEntropy(logits: y, labels: [0, 1, 1]), scale(meanSquaredError(prediction: w1, target: [Float](repeating: 0, count: 20)), by: 0.1))
        var reported: [ObjectIdentifier: [Float]] = [:]
        var order: [ObjectIdentifier] = []
        loss.backward(leafGradientIsFinal: { leaf in
            XCTAssertNil(reported[ObjectIdentifier(leaf)], "a leaf reported twice")
            reported[ObjectIdentifier(leaf)] = leaf.grad!.values
            order.append(ObjectIdentifier(leaf))
        })
        for (name, p) in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)] {
            XCTAssertEqual(reported[ObjectIdentifier(p)], p.grad!.values, "\(name): the reported gradient is not the final one")
        }
        XCTAssertNil(reported[ObjectIdentifier(unused)], "a leaf outside the graph was reported")
        XCTAssertNil(reported[ObjectIdentifier(x)], "a leaf without requiresGrad was reported")
        XCTAssertEqual(reported.count, 4)
        // the output layer's weight is final before the first layer's
        XCTAssertLessThan(order.firstIndex(of: ObjectIdentifier(w2))!, order.firstIndex(of: ObjectIdentifier(w1))!)
    }
}
