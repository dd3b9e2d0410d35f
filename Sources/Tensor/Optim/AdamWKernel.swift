import CKernels
import Foundation

/// The element-wise AdamW update of one parameter, on raw pointers, in torch's fp32 order.
///
/// torch.optim.AdamW (`_single_tensor_adam` with decoupled decay, fp32 CPU tensors) runs, per
/// parameter and step t:
///
///     param.mul_(1 - lr * weight_decay)                      # skipped when weight_decay == 0
///     exp_avg.lerp_(grad, 1 - beta1)                         # m + w * (g - m)
///     exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
///     denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
///     param.addcdiv_(exp_avg, denom, value=-step_size)
///
/// Every Python scalar there (`1 - lr * wd`, `1 - beta1`, `beta2`, `1 - beta2`,
/// `bias_correction2 ** 0.5`, `eps`, `-lr / bias_correction1`) is a double that the CPU kernel
/// rounds to Float once; the tensor arithmetic is then Float, one rounding per operation, in the
/// order written. `AdamWCoefficients` holds those rounded scalars and `AdamWKernel.update` does
/// the tensor part. Differences from torch: torch's AVX lerp body fuses `m + w * (g - m)` into
/// one FMA (its scalar tail does not); for the portable x86-64 target Swift has FMA only as a
/// libm call per element, so here it is two roundings, as in torch's scalar path: at most an ulp
/// of `m`, far inside the fixtures' 1e-4 tolerance.
struct AdamWCoefficients {
    /// `Float(1 - lr * weightDecay)`, exactly 1 when the parameter has no decay (x * 1 == x).
    let decayFactor: Float
    /// The lerp weight `Float(1 - beta1)`, and whether torch takes its small-weight form (< 0.5).
    let momentWeight: Float
    let momentWeightIsSmall: Bool
    let beta2: Float
    let oneMinusBeta2: Float
    let biasCorrection2Sqrt: Float
    let epsilon: Float
    /// `Float(-lr / (1 - beta1^t))`.
    let negativeStepSize: Float

    /// The scalars of step `step` (1-based, already incremented), computed in Double as Python does.
    init(learningRate lr: Double, weightDecay: Double, beta1: Double, beta2: Double, epsilon: Double, step: Int) {
        decayFactor = weightDecay != 0 ? Float(1 - lr * weightDecay) : 1
        let weight = Float(1 - beta1)
        momentWeight = weight
        momentWeightIsSmall = abs(weight) < 0.5
        self.beta2 = Float(beta2)
        oneMinusBeta2 = Float(1 - beta2)
        let t = Double(step)
        let biasCorrection1 = 1 - Foundation.pow(beta1, t)
        let biasCorrection2 = 1 - Foundation.pow(beta2, t)
        biasCorrection2Sqrt = Float(Foundation.pow(biasCorrection2, 0.5))
        self.epsilon = Float(epsilon)
        negativeStepSize = Float(-(lr / biasCorrection1))
    }
}

extension AdamWCoefficients {
    /// CKernels' bk_adamw_update's arguments: these scalars and one parameter's buffers.
    func kernelArguments(param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, gradientScale: Float,
                         m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) -> bk_adamw_args {
        bk_adamw_args(param: param, grad: grad, grad_scale: gradientScale, m: m, v: v,
                      decay: decayFactor, weight: momentWeight, weight_is_small: momentWeightIsSmall ? 1 : 0,
                      beta2: beta2, one_minus_beta2: oneMinusBeta2, bias_correction2_sqrt: biasCorrection2Sqrt,
                      eps: epsilon, negative_step: negativeStepSize)
    }
}

/// The plain Swift reference of CKernels' bk_adamw_update (which the optimizer runs), kept for
/// the tests: both do the same IEEE operations in the same order.
enum AdamWKernel {
    typealias Lanes = SIMD8<Float>

    /// Updates `param`, `m` and `v` in place over `range` from `grad`. All four buffers hold at
    /// least `range.upperBound` floats. Element-wise, so any split into ranges gives the same bits.
    ///
    /// The body works on 8 lanes at a time (explicit SIMD: the scalar `squareRoot()` keeps a libm
    /// fallback that stops LLVM from vectorising the loop), the tail one element at a time; both
    /// do the same IEEE operations in the same order, so lane and tail results agree bit for bit.
    static func update(param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                       range: Range<Int>, _ c: AdamWCoefficients) {
        let width = Lanes.scalarCount
        var i = range.lowerBound
        let decay = Lanes(repeating: c.decayFactor), w = Lanes(repeating: c.momentWeight)
        let oneMinusW = Lanes(repeating: 1 - c.momentWeight)
        let b2 = Lanes(repeating: c.beta2), c2 = Lanes(repeating: c.oneMinusBeta2)
        let bc2 = Lanes(repeating: c.biasCorrection2Sqrt), eps = Lanes(repeating: c.epsilon)
        let negStep = Lanes(repeating: c.negativeStepSize)
        while i + width <= range.upperBound {
            let g = load(grad + i)
            let decayed = load(param + i) * decay
            let m0 = load(m + i)
            let m1 = c.momentWeightIsSmall ? m0 + w * (g - m0)           // lerp, small-weight form
                                           : g - (g - m0) * oneMinusW     // lerp, large-weight form
            let v1 = load(v + i) * b2 + c2 * g * g                        // mul_(beta2), addcmul_: (c2 * g) * g
            let denom = v1.squareRoot() / bc2 + eps
            store(decayed + negStep * m1 / denom, param + i)              // addcdiv_: (s * m) / denom
            store(m1, m + i)
            store(v1, v + i)
            i += width
        }
        while i < range.upperBound {
            let g = grad[i]
            let decayed = param[i] * c.decayFactor
            let m0 = m[i]
            let m1 = c.momentWeightIsSmall ? m0 + c.momentWeight * (g - m0)
                                           : g - (g - m0) * (1 - c.momentWeight)
            let v1 = v[i] * c.beta2 + c.oneMinusBeta2 * g * g
            let denom = v1.squareRoot() / c.biasCorrection2Sqrt + c.epsilon
            param[i] = decayed + c.negativeStepSize * m1 / denom
            m[i] = m1
            v[i] = v1
            i += 1
        }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    @inline(__always) static func store(_ x: Lanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: Lanes.self)
    }
}
