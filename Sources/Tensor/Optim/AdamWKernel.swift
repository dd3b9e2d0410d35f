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
/// one FMA (its scalar tail does not); Swift cannot emit FMA for the portable x86-64 target, so
/// here it is two roundings, as in torch's scalar path: at most an ulp of `m`.
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

enum AdamWKernel {
    /// Updates `param`, `m` and `v` in place over `range` from `grad`. All four buffers hold at
    /// least `range.upperBound` floats. Element-wise, so any split into ranges gives the same bits.
    static func update(param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>,
                       m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                       range: Range<Int>, _ c: AdamWCoefficients) {
        let decay = c.decayFactor, w = c.momentWeight, b2 = c.beta2, c2 = c.oneMinusBeta2
        let bc2 = c.biasCorrection2Sqrt, eps = c.epsilon, negStep = c.negativeStepSize
        if c.momentWeightIsSmall {
            for i in range {
                let g = grad[i]
                let decayed = param[i] * decay
                let m0 = m[i]
                let m1 = m0 + w * (g - m0)                 // lerp, small-weight form
                let v1 = v[i] * b2 + c2 * g * g            // mul_(beta2) then addcmul_: (c2 * g) * g
                let denom = v1.squareRoot() / bc2 + eps
                param[i] = decayed + negStep * m1 / denom  // addcdiv_: (s * m) / denom
                m[i] = m1
                v[i] = v1
            }
        } else {
            let oneMinusW: Float = 1 - w
            for i in range {
                let g = grad[i]
                let decayed = param[i] * decay
                let m0 = m[i]
                let m1 = g - (g - m0) * oneMinusW           // lerp, large-weight form (beta1 <= 0.5)
                let v1 = v[i] * b2 + c2 * g * g
                let denom = v1.squareRoot() / bc2 + eps
                param[i] = decayed + negStep * m1 / denom
                m[i] = m1
                v[i] = v1
            }
        }
    }
}
