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

    func testFusedAddLayerNormWithoutGraphFormsTheSumInItsOutputWithTheSameBits() {
        // inference keeps no sum for a backward: it is formed in the output and normalised in
        // place; the values must be those of the recorded path, and x and residual untouched
        let x = GradientCheck.random([33, 768], scale: 2, seed: 39), residual = GradientCheck.random([33, 768], seed: 40)
        let g = GradientCheck.random([768], seed: 41), b = GradientCheck.random([768], seed: 42)
        let (xBefore, residualBefore) = (x.values, residual.values)
        x.requiresGrad = true
        let recorded = addLayerNorm(x, residual: residual, gamma: g, beta: b, eps: 1e-12)
        XCTAssertNotNil(recorded.node)
        let inference = Autograd.noGrad { addLayerNorm(x, residual: residual, gamma: g, beta: b, eps: 1e-12) }
        XCTAssertNil(inference.node)
        XCTAssertEqual(inference.values, recorded.values)
        XCTAssertEqual(x.values, xBefore)
        XCTAssertEqual(residual.values, residualBefore)
        let expected = referenceLayerNorm(zip(xBefore, residualBefore).map { Double($0) + Double($1) },
                                          g.values.map(Double.init), b.values.map(Double.init), channels: 768, eps: 1e-12)
        for (i, value) in inference.values.enumerated() { XCTAssertEqual(Double(value), expected[i], accuracy: 1e-5) }
    }

    /// LayerNorm(dropout(x) + residual) in Double with the dropout factors of `dropout`'s scheme.
    func referenceDropoutAddLayerNorm(_ v: [[Double]], key: UInt64, start: UInt64, p: Float, channels: Int, eps: Double) -> [Double] {
        let dropped = v[0].indices.map { v[0][$0] * Double(dropoutFactor(key: key, start: start, index: $0, probability: p)) }
        return referenceLayerNorm(zip(dropped, v[1]).map { $0 + $1 }, v[2], v[3], channels: channels, eps: eps)
    }

    func testFusedDropoutAddLayerNorm() {
        let x = GradientCheck.random([6, 20], scale: 2, seed: 35), residual = GradientCheck.random([6, 20], seed: 36)
        let g = GradientCheck.random([20], seed: 37), b = GradientCheck.random([20], seed: 38)
        var stream = RandomStream(key: 12, counter: 3)
        GradientCheck().run([x, residual, g, b], forward: {
            dropoutAddLayerNorm($0[0], probability: 0.3, training: true, stream: &stream, residual: $0[1], gamma: $0[2], beta: $0[3], eps: 1e-12)
        }, reference: { v in self.referenceDropoutAddLayerNorm(v, key: 12, start: 3, p: 0.3, channels: 20, eps: 1e-12) })
        XCTAssertEqual(stream.counter, 3 + 30, "one Philox block per 4 elements, as dropout")
    }

    func testFusedDropoutAddLayerNormAccumulatesIntoExistingGradients() {
        // x also feeds another op: its gradient must be the sum of both contributions.
        let x = GradientCheck.random([3, 16], seed: 39), residual = GradientCheck.random([3, 16], seed: 40)
        let g = GradientCheck.random([16], seed: 41), b = GradientCheck.random([16], seed: 42)
        var stream = RandomStream(key: 13)
        GradientCheck().run([x, residual, g, b], forward: {
            add(dropoutAddLayerNorm($0[0], probability: 0.2, training: true, stream: &stream, residual: $0[1], gamma: $0[2], beta: $0[3], eps: 1e-5),
                scale($0[0], by: 3))
        }, reference: { v in
            zip(self.referenceDropoutAddLayerNorm(v, key: 13, start: 0, p: 0.2, channels: 16, eps: 1e-5), v[0]).map { $0 + 3 * $1 }
        })
    }

    /// The fused op is a faster spelling of dropout followed by addLayerNorm: the same output and
    /// the same gradients, bit for bit, from the same stream position.
    func testFusedDropoutEqualsDropoutThenAddLayerNormBitForBit() {
        func run(fused: Bool) -> [[Float]] {
            let x = GradientCheck.random([33, 48], scale: 2, seed: 43), residual = GradientCheck.random([33, 48], seed: 44)
            let g = GradientCheck.random([48], seed: 45), b = GradientCheck.random([48], seed: 46)
            var stream = RandomStream(key: 14, counter: 7)
            let y = fused
                ? dropoutAddLayerNorm(x, probability: 0.1, training: true, stream: &stream, residual: residual, gamma: g, beta: b, eps: 1e-12)
                : addLayerNorm(dropout(x, probability: 0.1, training: true, stream: &stream), residual: residual, gamma: g, beta: b, eps: 1e-12)
            y.backward(gradient: GradientCheck.random([33, 48], seed: 47, requiresGrad: false))
            return [y.values] + [x, residual, g, b].map { $0.grad!.values } + [[Float(stream.counter)]]
        }
        XCTAssertEqual(run(fused: true), run(fused: false))
    }

    func testModuleStartsAsIdentityScale() {
        let ln = LayerNorm(channels: 4, eps: 1e-12)
        XCTAssertEqual(ln.weight.values, [1, 1, 1, 1])
        XCTAssertEqual(ln.bias.values, [0, 0, 0, 0])
        XCTAssertEqual(ln.namedParameters.map(\.name), ["weight", "bias"])
    }
}
