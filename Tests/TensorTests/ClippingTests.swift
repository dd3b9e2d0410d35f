import Foundation
import XCTest
@testable import Tensor

/// Global-norm clipping against torch.nn.utils.clip_grad_norm_'s formula:
/// total = sqrt(sum of per-tensor norms squared); coef = max / (total + 1e-6), clamped to 1.
final class ClippingTests: XCTestCase {
    private func parameter(grad: [Float]?) -> Tensor {
        let t = Tensor(zeros: [grad?.count ?? 3])
        if let grad { t.grad = Tensor(shape: [grad.count], values: grad) }
        return t
    }

    func testHandComputedNormAndClipping() {
        // Norms 5 and 12, total 13; a parameter without a gradient is left out.
        let a = parameter(grad: [3, 4]), b = parameter(grad: [12]), none = parameter(grad: nil)
        let norm = GradientClipping.clipGlobalNorm(of: [a, none, b], maxNorm: 6.5)
        XCTAssertEqual(norm, 13)
        // coef = 6.5 / 13.000001 = 0.49999996...
        let coef = 6.5 / (13.0 + 1e-6)
        XCTAssertEqual(a.grad!.values.map(Double.init), [3 * coef, 4 * coef].map { $0 }, accuracy: 1e-6)
        XCTAssertEqual(Double(b.grad!.values[0]), 12 * coef, accuracy: 1e-6)
        XCTAssertLessThan(Double(b.grad!.values[0]), 6.0)   // really scaled, slightly below 6
        XCTAssertNil(none.grad)
    }

    func testBelowTheMaximumNothingChanges() {
        let a = parameter(grad: [0.3, -0.4]), b = parameter(grad: [0.1, 0.2, -0.2])
        let before = [a, b].map { $0.grad!.values.map(\.bitPattern) }
        let norm = GradientClipping.clipGlobalNorm(of: [a, b], maxNorm: 1.0)
        XCTAssertEqual(Double(norm), (0.09 + 0.16 + 0.01 + 0.04 + 0.04).squareRoot(), accuracy: 1e-7)
        XCTAssertEqual([a, b].map { $0.grad!.values.map(\.bitPattern) }, before)
    }

    func testNoGradientsGiveNormZero() {
        XCTAssertEqual(GradientClipping.clipGlobalNorm(of: [parameter(grad: nil)], maxNorm: 1), 0)
        XCTAssertEqual(GradientClipping.clipGlobalNorm(of: [Tensor](), maxNorm: 1), 0)
    }

    /// Tensors spanning many blocks: the norm matches a Double reference and its bits do not
    /// depend on the thread count.
    func testLargeTensorsAreAccurateAndThreadIndependent() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let count = 5 * GradientClipping.blockSize + 77
        let values = (0..<count).map { Float(sin(Double($0) * 0.013) * 0.01 + 0.001) }
        let small = (0..<100).map { Float(cos(Double($0))) }
        var expected = 0.0
        for x in values + small { expected += Double(x) * Double(x) }
        expected = expected.squareRoot()
        let coef = 0.25 / (expected + 1e-6)

        var results: [[UInt32]] = []
        for threads in [1, 2] {
            Parallel.threadCount = threads
            let big = parameter(grad: values), other = parameter(grad: small)
            let norm = GradientClipping.clipGlobalNorm(of: [big, other], maxNorm: 0.25)
            XCTAssertEqual(Double(norm), expected, accuracy: 1e-6 * expected)
            XCTAssertEqual(Double(big.grad!.values[count - 1]), Double(values[count - 1]) * coef, accuracy: 1e-6)
            XCTAssertEqual(Double(other.grad!.values[3]), Double(small[3]) * coef, accuracy: 1e-6)
            results.append([norm.bitPattern] + big.grad!.values.map(\.bitPattern))
        }
        XCTAssertEqual(results[0], results[1])
    }

    func testNonFiniteNormPoisonsGradientsLikeTorch() {
        let a = parameter(grad: [.infinity, 1])
        let norm = GradientClipping.clipGlobalNorm(of: [a], maxNorm: 1)
        XCTAssertEqual(norm, .infinity)
        // coef = 1 / inf = 0: inf * 0 = NaN, 1 * 0 = 0.
        XCTAssertTrue(a.grad!.values[0].isNaN)
        XCTAssertEqual(a.grad!.values[1], 0)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
