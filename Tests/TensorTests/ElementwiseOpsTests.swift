import Foundation
import XCTest
@testable import Tensor

final class ElementwiseOpsTests: XCTestCase {
    let check = GradientCheck()

    func testAdd() {
        let a = GradientCheck.random([3, 7], seed: 1), b = GradientCheck.random([3, 7], seed: 2)
        check.run([a, b], forward: { add($0[0], $0[1]) }, reference: { v in zip(v[0], v[1]).map { $0 + $1 } })
    }

    func testAddSameTensorTwiceAccumulates() {
        let a = GradientCheck.random([5], seed: 3)
        check.run([a], forward: { add($0[0], $0[0]) }, reference: { v in v[0].map { 2 * $0 } })
    }

    func testScale() {
        let a = GradientCheck.random([4, 5], seed: 4)
        check.run([a], forward: { scale($0[0], by: -0.37) }, reference: { v in v[0].map { $0 * Double(Float(-0.37)) } })
    }

    func testGELUErf() {
        let a = GradientCheck.random([3, 11], scale: 4, seed: 5)
        check.run([a], forward: { gelu($0[0], kind: .erf) },
                  reference: { v in v[0].map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) } })
    }

    func testGELUTanh() {
        let a = GradientCheck.random([3, 11], scale: 4, seed: 6)
        check.run([a], forward: { gelu($0[0], kind: .tanh) },
                  reference: { v in v[0].map { x in 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) } })
    }

    func testReLU() {
        // Values kept away from 0, where the derivative jumps and finite differences mislead.
        let a = GradientCheck.random([2, 9], scale: 2, seed: 7)
        for i in 0..<a.count where abs(a.data[i]) < 0.05 { a.data[i] = 0.5 }
        check.run([a], forward: { relu($0[0]) }, reference: { v in v[0].map { max(0, $0) } })
    }

    func testTanh() {
        let a = GradientCheck.random([13], scale: 3, seed: 8)
        check.run([a], forward: { tanh($0[0]) }, reference: { v in v[0].map { Foundation.tanh($0) } })
    }

    func testSoftmaxLastDimension() {
        let a = GradientCheck.random([2, 3, 7], scale: 3, seed: 9)
        check.run([a], forward: { softmax($0[0]) }, reference: { v in referenceSoftmax(v[0], width: 7) })
    }

    func testNoGradRecordsNothing() {
        let a = GradientCheck.random([4], seed: 10)
        let out = Autograd.noGrad { gelu(add(a, a)) }
        XCTAssertNil(out.node)
        XCTAssertFalse(out.requiresGrad)
        let recorded = gelu(add(a, a))
        XCTAssertNotNil(recorded.node)
    }
}

/// Row-wise softmax in Double over rows of `width`.
func referenceSoftmax(_ x: [Double], width: Int) -> [Double] {
    var out = x
    for start in stride(from: 0, to: x.count, by: width) {
        let row = x[start..<start + width]
        let m = row.max()!
        let e = row.map { exp($0 - m) }
        let s = e.reduce(0, +)
        for j in 0..<width { out[start + j] = e[j] / s }
    }
    return out
}
