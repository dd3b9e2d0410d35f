import XCTest
@testable import Tensor

final class LinearTests: XCTestCase {
    let check = GradientCheck()

    /// Row-major (m x n) = op(a) · op(b) in Double.
    func referenceMatmul(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                s += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j])
            }
            out[i * n + j] = s
        } }
        return out
    }

    func testMatmulEveryLayout() {
        let (m, n, k) = (5, 3, 7)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = GradientCheck.random(transposeA ? [k, m] : [m, k], seed: 11)
                let b = GradientCheck.random(transposeB ? [n, k] : [k, n], seed: 12)
                check.run([a, b], forward: { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) },
                          reference: { v in self.referenceMatmul(v[0], v[1], m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB) })
            }
        }
    }

    func testLinearWithBiasOnThreeDimensionalInput() {
        let x = GradientCheck.random([2, 3, 5], seed: 13)
        let w = GradientCheck.random([4, 5], seed: 14), b = GradientCheck.random([4], seed: 15)
        check.run([x, w, b], forward: { linear($0[0], weight: $0[1], bias: $0[2]) }, reference: { v in
            var out = self.referenceMatmul(v[0], v[1], m: 6, n: 4, k: 5, transposeA: false, transposeB: true)
            for r in 0..<6 { for o in 0..<4 { out[r * 4 + o] += v[2][o] } }
            return out
        })
    }

    func testLinearWithoutBias() {
        let x = GradientCheck.random([7, 3], seed: 16), w = GradientCheck.random([2, 3], seed: 17)
        check.run([x, w], forward: { linear($0[0], weight: $0[1], bias: nil) },
                  reference: { v in self.referenceMatmul(v[0], v[1], m: 7, n: 2, k: 3, transposeA: false, transposeB: true) })
    }

    func testLinearModuleNamesItsParameters() {
        let layer = Linear(inFeatures: 3, outFeatures: 2)
        XCTAssertEqual(layer.namedParameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(layer.weight.shape, [2, 3])
        XCTAssertEqual(prefixed("encoder.layer.0", layer.namedParameters).map(\.name),
                       ["encoder.layer.0.weight", "encoder.layer.0.bias"])
    }

    /// Three linear maps as one GEMM: each output block is its layer's, and every input,
    /// weight and bias gradient matches float64 finite differences.
    func testConcatenatedLinear() {
        let x = GradientCheck.random([5, 4], seed: 70)
        let layers = [3, 2, 3].map { Linear(inFeatures: 4, outFeatures: $0) }
        for (k, layer) in layers.enumerated() {
            layer.weight.copyValues(from: GradientCheck.random(layer.weight.shape, seed: 71 + UInt64(k)))
            layer.bias!.copyValues(from: GradientCheck.random(layer.bias!.shape, seed: 75 + UInt64(k)))
        }
        let inputs = [x] + layers.flatMap { [$0.weight, $0.bias!] }
        // (the checked inputs are the layers' own parameter tensors)
        GradientCheck().run(inputs, forward: { concatenatedLinear($0[0], layers) }, reference: { v in
            var out = [Double]()
            for r in 0..<5 {
                for (k, layer) in layers.enumerated() {
                    let w = v[1 + 2 * k], b = v[2 + 2 * k]
                    for o in 0..<layer.outFeatures {
                        out.append(b[o] + (0..<4).reduce(0.0) { $0 + v[0][r * 4 + $1] * w[o * 4 + $1] })
                    }
                }
            }
            return out
        })
    }
}
