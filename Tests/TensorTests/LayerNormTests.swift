import XCTest
@testable import Tensor

final class LayerNormTests: XCTestCase {
    func referenceLayerNorm(_ x: [Double], _ g: [Double], _ b: [Double], channels c: Int, eps: Double) -> [Double] {
        var out = x
        for start in stride(from: 0, to: x.count, by: c) {
            let row = Array(x[start..<start + c])
            let mean = row.reduce(0, +) / Double(c)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            for j in 0..<c { out[start + j] = (row[j] - mean) / (variance + eps).squareRoot() * g[j] + b[j] }
        }
        return out
    }

    func testForwardAndGradients() {
        let x = GradientCheck.random([3, 2, 9], scale: 2, seed: 21)
        let g = GradientCheck.random([9], seed: 22), b = GradientCheck.random([9], seed: 23)
        GradientCheck().run([x, g, b], forward: { layerNorm($0[0], gamma: $0[1], beta: $0[2], eps: 1e-5) },
                            reference: { v in self.referenceLayerNorm(v[0], v[1], v[2], channels: 9, eps: 1e-5) })
    }

    func testTinyEpsilonAsBERT() {
        let x = GradientCheck.random([4, 6], seed: 24)
        let g = GradientCheck.random([6], seed: 25), b = GradientCheck.random([6], seed: 26)
        GradientCheck().run([x, g, b], forward: { layerNorm($0[0], gamma: $0[1], beta: $0[2], eps: 1e-12) },
                            reference: { v in self.referenceLayerNorm(v[0], v[1], v[2], channels: 6, eps: 1e-12) })
    }

    func testFusedResidualAddAndLayerNorm() {
        let x = GradientCheck.random([5, 7], scale: 2, seed: 27), residual = GradientCheck.random([5, 7], seed: 28)
        let g = GradientCheck.random([7], seed: 29), b = GradientCheck.random([7], seed: 30)
        GradientCheck().run([x, residual, g, b], forward: { addLayerNorm($0[0], residual: $0[1], gamma: $0[2], beta: $0[3], eps: 1e-12) },
                            reference: { v in self.referenceLayerNorm(zip(v[0], v[1]).map { $0 + $1 }, v[2], v[3], channels: 7, eps: 1e-12) })
    }

    func testFusedLayerNormAccumulatesIntoExistingGradients() {
        // x also feeds another op: its gradient must be the sum of both contributions.
        let x = GradientCheck.random([3, 4], seed: 31), residual = GradientCheck.random([3, 4], seed: 32)
        let g = GradientCheck.random([4], seed: 33), b = GradientCheck.random([4], seed: 34)
        GradientCheck().run([x, residual, g, b], forward: { add(addLayerNorm($0[0], residual: $0[1], gamma: $0[2], beta: $0[3], eps: 1e-5), scale($0[0], by: 3)) },
                            reference: { v in zip(self.referenceLayerNorm(zip(v[0], v[1]).map { $0 + $1 }, v[2], v[3], channels: 4, eps: 1e-5), v[0]).map { $0 + 3 * $1 } })
    }

    func testModuleStartsAsIdentityScale() {
        let ln = LayerNorm(channels: 4, eps: 1e-12)
        XCTAssertEqual(ln.weight.values, [1, 1, 1, 1])
        XCTAssertEqual(ln.bias.values, [0, 0, 0, 0])
        XCTAssertEqual(ln.namedParameters.map(\.name), ["weight", "bias"])
    }
}
