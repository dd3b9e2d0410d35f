import CKernels
import Foundation

/// The two GELUs BERT checkpoints name in `hidden_act`, element-wise on any shape:
///   gelu (erf, exact):     y = 0.5·x·(1 + erf(x/√2))
///   gelu_new (tanh form):  y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
public enum GELUKind: String, Sendable {
    case erf = "gelu"
    case tanh = "gelu_new"
}

public func gelu(_ x: Tensor, kind: GELUKind = .erf) -> Tensor {
    Autograd.record(GELUOp(kind: kind), inputs: [x], output: geluValues(x, kind: kind))
}

/// gelu(x) element-wise, not recorded (the forward of `gelu` and of `geluLinear`).
func geluValues(_ x: Tensor, kind: GELUKind) -> Tensor {
    Profiler.measure(.normalization) {
        let out = Tensor(uninitialized: x.shape)
        let px = x.data, po = out.data
        Parallel.forEachRange(x.count, minimumChunk: 8192) { range in
            switch kind {
            case .erf: bk_gelu_erf_forward(px, po, range.lowerBound, range.upperBound)
            case .tanh: bk_gelu_tanh_forward(px, po, range.lowerBound, range.upperBound)
            }
        }
        return out
    }
}

/// x's gradient += dActivation ⊙ gelu'(x), the derivative recomputed from x. A gradient x does
/// not have yet is written directly (no zero-fill first).
func geluBackward(_ x: Tensor, gradActivation: Tensor, kind: GELUKind) {
    Profiler.measure(.normalization) {
        let (dx, beta) = x.gradientDestination()
        let px = x.data, pd = gradActivation.data, pdx = dx.data, accumulate: Int32 = beta == 0 ? 0 : 1
        Parallel.forEachRange(x.count, minimumChunk: 8192) { range in
            switch kind {
            case .erf: bk_gelu_erf_backward(px, pd, pdx, accumulate, range.lowerBound, range.upperBound)
            case .tanh: bk_gelu_tanh_backward(px, pd, pdx, accumulate, range.lowerBound, range.upperBound)
            }
        }
    }
}

/// gelu(x) and gelu'(x) element-wise in one pass, not recorded: what a backward that needs both
/// (`geluLinear`'s) would otherwise get from two passes that each evaluate erf (or tanh).
func geluValuesAndDerivatives(_ x: Tensor, kind: GELUKind) -> (values: Tensor, derivatives: Tensor) {
    Profiler.measure(.normalization) {
        let values = Tensor(uninitialized: x.shape), derivatives = Tensor(uninitialized: x.shape)
        let px = x.data, pv = values.data, pd = derivatives.data
        Parallel.forEachRange(x.count, minimumChunk: 8192) { range in
            switch kind {
            case .erf: bk_gelu_erf_value_and_derivative(px, pv, pd, range.lowerBound, range.upperBound)
            case .tanh: bk_gelu_tanh_value_and_derivative(px, pv, pd, range.lowerBound, range.upperBound)
            }
        }
        return (values, derivatives)
    }
}

/// x's gradient += dActivation ⊙ derivatives, gelu'(x) given (`geluValuesAndDerivatives`): the
/// same bits as `geluBackward`. When x has no gradient yet, the product is formed in
/// `consumedGradActivation`'s own buffer, which becomes x's gradient (no new (N, I) buffer
/// written beside it); the caller must not use that tensor afterwards.
func geluBackward(_ x: Tensor, consumedGradActivation gradActivation: Tensor, derivatives: Tensor) {
    Profiler.measure(.normalization) {
        let formedInPlace = x.grad == nil
        let (dx, beta) = formedInPlace ? (gradActivation, Float(0)) : x.gradientDestination()
        let pd = gradActivation.data, pderiv = derivatives.data, pdx = dx.data, accumulate: Int32 = beta == 0 ? 0 : 1
        Parallel.forEachRange(x.count, minimumChunk: 16384) { range in
            bk_multiply(pd, pderiv, pdx, accumulate, range.lowerBound, range.upperBound)
        }
        if formedInPlace { x.accumulateGradient(gradActivation, adopt: true) }
    }
}

struct GELUOp: BackwardOp {
    var category: Profiler.Category { .normalization }
    let kind: GELUKind
    var name: String { "gelu" }
    // The input x is kept (inputs[0]); the derivative is recomputed from it.
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        geluBackward(inputs[0], gradActivation: dout, kind: kind)
    }
}

// Plain references of the C kernels (CKernels: bk_gelu_*), kept for the tests.
@inline(__always) func geluErf(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.70710678118654752)) }

// d/dx [0.5·x·(1 + erf(x/√2))] = 0.5·(1 + erf(x/√2)) + x·φ(x), φ the standard normal density.
@inline(__always) func geluErfDerivative(_ x: Float) -> Float {
    0.5 * (1 + erff(x * 0.70710678118654752)) + x * 0.39894228040143268 * expf(-0.5 * x * x)
}

@inline(__always) func geluTanh(_ x: Float) -> Float {
    0.5 * x * (1 + tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x)))
}

// With u = √(2/π)·(x + 0.044715·x³) and t = tanh(u):
// dy/dx = 0.5·(1 + t) + 0.5·x·(1 - t²)·√(2/π)·(1 + 3·0.044715·x²).
@inline(__always) func geluTanhDerivative(_ x: Float) -> Float {
    let t = tanhf(0.79788456080286536 * (x + 0.044715 * x * x * x))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.79788456080286536 * (1 + 0.134145 * x * x)
}
