import XCTest
@testable import Tensor

/// Checks an op against a float64 reference: the forward values, and every input's gradient
/// against central finite differences of the float64 reference.
///
/// The scalar checked is L = Σ out ⊙ R with fixed random R, so every output element matters.
/// Gradient error is measured against the gradient's own scale, max|analytic - fd| / max|fd|
/// (an fp32 op against a float64 reference: ~1e-6 relative rounding per element, summed over
/// at most a few hundred terms, stays well below the 1e-3 bound).
struct GradientCheck {
    var seed: UInt64 = 7
    var forwardTolerance = 1e-5
    var gradientTolerance = 1e-3
    var step = 1e-6

    /// Random values in [-scale, scale).
    static func random(_ shape: [Int], scale: Float = 1, seed: UInt64, requiresGrad: Bool = true) -> Tensor {
        var g = SplitMix64(seed: seed)
        let n = Tensor.elementCount(shape)
        return Tensor(shape: shape, values: (0..<n).map { _ in Float(g.nextUniform() * 2 - 1) * scale },
                      requiresGrad: requiresGrad)
    }

    /// - forward: the engine's op on the inputs.
    /// - reference: the same function in Double on the inputs' values (flat arrays).
    /// - checkInputs: indices of the inputs whose gradients are checked (default all).
    func run(_ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
             checkInputs: [Int]? = nil,
             forward: ([Tensor]) -> Tensor, reference: ([[Double]]) -> [Double]) {
        let out = forward(inputs)
        let doubles = inputs.map { $0.values.map(Double.init) }
        let expected = reference(doubles)
        XCTAssertEqual(out.count, expected.count, "output size", file: file, line: line)
        let outScale = max(1, expected.map(abs).max() ?? 1)
        for (i, (a, b)) in zip(out.values, expected).enumerated() {
            if abs(Double(a) - b) > forwardTolerance * outScale {
                XCTFail("forward[\(i)] = \(a), float64 reference \(b)", file: file, line: line)
                return
            }
        }
        var g = SplitMix64(seed: seed)
        let weights = (0..<out.count).map { _ in g.nextUniform() * 2 - 1 }
        out.backward(gradient: Tensor(shape: out.shape, values: weights.map(Float.init)))
        func loss(_ values: [[Double]]) -> Double {
            zip(reference(values), weights).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for index in checkInputs ?? Array(inputs.indices) {
            let analytic = inputs[index].grad?.values.map(Double.init) ?? Array(repeating: 0, count: inputs[index].count)
            var numeric = [Double](repeating: 0, count: inputs[index].count)
            var perturbed = doubles
            for j in 0..<numeric.count {
                let original = perturbed[index][j]
                perturbed[index][j] = original + step
                let plus = loss(perturbed)
                perturbed[index][j] = original - step
                let minus = loss(perturbed)
                perturbed[index][j] = original
                numeric[j] = (plus - minus) / (2 * step)
            }
            let scale = max(numeric.map(abs).max() ?? 0, 1e-6)
            let worst = zip(analytic, numeric).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst / scale, gradientTolerance,
                                     "input \(index): gradient error \(worst) against scale \(scale)", file: file, line: line)
        }
    }
}
