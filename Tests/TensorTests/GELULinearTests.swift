import Foundation
import XCTest
@testable import Tensor

/// The fused GELU -> linear op: against float64 and finite differences, and bit for bit against
/// the two ops it replaces (it must change memory, not numbers).
final class GELULinearTests: XCTestCase {
    let check = GradientCheck()

    /// Row-major (rows x outputs) = gelu(x)·Wᵀ (+ b) in Double.
    func reference(_ x: [Double], _ w: [Double], _ b: [Double]?, rows: Int, inputs: Int, outputs: Int,
                   activation: (Double) -> Double) -> [Double] {
        let a = x.map(activation)
        var out = [Double](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var sum = b?[o] ?? 0
                for i in 0..<inputs { sum += a[r * inputs + i] * w[o * inputs + i] }
                out[r * outputs + o] = sum
            }
        }
        return out
    }

    func testErfAgainstFloat64WithFiniteDifferences() {
        let x = GradientCheck.random([5, 9], scale: 3, seed: 21)
        let w = GradientCheck.random([4, 9], seed: 22), b = GradientCheck.random([4], seed: 23)
        let erfGELU: (Double) -> Double = { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        check.run([x, w, b], forward: { geluLinear($0[0], kind: .erf, weight: $0[1], bias: $0[2]) }, reference: { v in
            self.reference(v[0], v[1], v[2], rows: 5, inputs: 9, outputs: 4, activation: erfGELU)
        })
    }

    func testTanhWithoutBiasAgainstFloat64() {
        let x = GradientCheck.random([2, 3, 6], scale: 3, seed: 24), w = GradientCheck.random([5, 6], seed: 25)
        let tanhGELU: (Double) -> Double = { x in
            let u = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + Foundation.tanh(u))
        }
        check.run([x, w], forward: { geluLinear($0[0], kind: .tanh, weight: $0[1], bias: nil) }, reference: { v in
            self.reference(v[0], v[1], nil, rows: 6, inputs: 6, outputs: 5, activation: tanhGELU)
        })
    }

    func testBitIdenticalToUnfusedGELUThenLinear() {
        for kind in [GELUKind.erf, .tanh] {
            func run(fused: Bool) -> (out: [Float], dx: [Float], dW: [Float], db: [Float]) {
                let x = GradientCheck.random([37, 48], scale: 3, seed: 26)
                let w = GradientCheck.random([20, 48], seed: 27), b = GradientCheck.random([20], seed: 28)
                let out = fused ? geluLinear(x, kind: kind, weight: w, bias: b) : linear(gelu(x, kind: kind), weight: w, bias: b)
                out.backward(gradient: GradientCheck.random(out.shape, seed: 29, requiresGrad: false))
                return (out.values, x.grad!.values, w.grad!.values, b.grad!.values)
            }
            let fused = run(fused: true), unfused = run(fused: false)
            XCTAssertEqual(fused.out, unfused.out, "\(kind) forward")
            XCTAssertEqual(fused.dx, unfused.dx, "\(kind) dx")
            XCTAssertEqual(fused.dW, unfused.dW, "\(kind) dW")
            XCTAssertEqual(fused.db, unfused.db, "\(kind) db")
        }
    }

    func testBitIdenticalWhenTheInputFeedsTwoProjections() {
        // x's gradient is first formed in place (the first backward to reach x), then added to
        // (the second): both paths, against the unfused ops
        func run(fused: Bool) -> (out: [Float], dx: [Float]) {
            let x = GradientCheck.random([37, 48], scale: 3, seed: 30)
            let w1 = GradientCheck.random([20, 48], seed: 31), w2 = GradientCheck.random([20, 48], seed: 32)
            let b = GradientCheck.random([20], seed: 33)
            let project = { (w: Tensor) in fused ? geluLinear(x, kind: .erf, weight: w, bias: b) : linear(gelu(x, kind: .erf), weight: w, bias: b) }
            let out = add(project(w1), project(w2))
            out.backward(gradient: GradientCheck.random(out.shape, seed: 34, requiresGrad: false))
            return (out.values, x.grad!.values)
        }
        let fused = run(fused: true), unfused = run(fused: false)
        XCTAssertEqual(fused.out, unfused.out)
        XCTAssertEqual(fused.dx, unfused.dx)
    }
}
