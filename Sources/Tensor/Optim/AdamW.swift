import CKernels
import Foundation

/// AdamW as torch.optim.AdamW (the Hugging Face Trainer's default `adamw_torch`; no amsgrad),
/// with Hugging Face's two parameter groups: weight decay on matrices and embeddings, none on
/// biases and normalisation weights (`AdamW.decays(parameterNamed:)`).
///
/// Per parameter that has a gradient, `step(learningRate:)` does, in torch's order and rounding
/// (AdamWKernel.swift lists the exact operations):
///
///     t += 1
///     p *= 1 - lr * weight_decay                        (decoupled decay, before the Adam update)
///     m  = beta1 * m + (1 - beta1) * g
///     v  = beta2 * v + (1 - beta2) * g * g
///     p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// A parameter whose `grad` is nil is skipped and its `t` does not advance, as in torch. The
/// learning rate comes from the caller each step (a `LinearSchedule`, or a constant).
///
/// The update loop runs on both cores in fixed ranges; it is element-wise, so the bits never
/// depend on the thread count or timing.
public final class AdamW {
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double

    /// One parameter with its moments and its own step count (torch's `state[p]`).
    final class Slot {
        let name: String
        let tensor: Tensor
        let weightDecay: Double
        /// exp_avg and exp_avg_sq, same shape as the parameter.
        let m: Tensor
        let v: Tensor
        var step = 0

        init(name: String, tensor: Tensor, weightDecay: Double) {
            self.name = name
            self.tensor = tensor
            self.weightDecay = weightDecay
            m = Tensor(zeros: tensor.shape)
            v = Tensor(zeros: tensor.shape)
        }
    }

    let slots: [Slot]

    /// Element-wise work per core below which the update stays on the calling thread.
    static let minimumChunk = 1 << 14

    /// - Parameters:
    ///   - parameters: the model's `namedParameters` (names unique, each tensor once: pass tied
    ///     weights once, as torch's `named_parameters()` does).
    ///   - weightDecay: applied to the parameters for which `decays(name)` is true; 0 for the rest.
    ///   - decays: the group rule; Hugging Face's by default.
    public init(parameters: [(name: String, tensor: Tensor)], weightDecay: Double,
                beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                decays: (String) -> Bool = AdamW.decays(parameterNamed:)) {
        precondition(Set(parameters.map(\.name)).count == parameters.count, "AdamW: duplicate parameter names")
        precondition(Set(parameters.map { ObjectIdentifier($0.tensor.storage) }).count == parameters.count,
                     "AdamW: the same tensor is listed twice (tied weights must be passed once)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        slots = parameters.map { Slot(name: $0.name, tensor: $0.tensor, weightDecay: decays($0.name) ? weightDecay : 0) }
    }

    /// Whether Hugging Face's Trainer puts this parameter in the weight-decay group.
    ///
    /// The Trainer (`get_decay_parameter_names`) excludes parameters of `nn.LayerNorm` modules and
    /// any parameter whose lower-cased name matches `bias`, `layernorm`, `rmsnorm`,
    /// `(^|\.)norm($|\.)` or `_norm($|\.)`. BertKit has no module types to look at, but its names
    /// are the checkpoint's, where every LayerNorm is called `LayerNorm` (or `layer_norm`), so the
    /// name patterns alone give the same groups:
    /// `encoder.layer.0.attention.self.query.weight` decays; `...query.bias`,
    /// `embeddings.LayerNorm.weight`, `encoder.layer.0.output.LayerNorm.weight` do not.
    public static func decays(parameterNamed name: String) -> Bool {
        let lower = name.lowercased()
        if lower.contains("bias") || lower.contains("layernorm") || lower.contains("rmsnorm") { return false }
        for component in lower.split(separator: ".", omittingEmptySubsequences: false) {
            if component == "norm" || component.hasSuffix("_norm") { return false }
        }
        return true
    }

    /// The weight decay this optimizer applies to a parameter (nil for an unknown name).
    public func weightDecay(ofParameterNamed name: String) -> Double? {
        slots.first { $0.name == name }?.weightDecay
    }

    /// How many updates a parameter has had (torch's `state[p]["step"]`), nil for an unknown name.
    public func stepCount(ofParameterNamed name: String) -> Int? {
        slots.first { $0.name == name }?.step
    }

    /// One optimizer step at `learningRate` over every parameter that has a gradient.
    /// Gradients are read, not cleared (the caller releases them, `Module.releaseGradients()`,
    /// before the next backward).
    /// `gradientScale` multiplies each gradient as it is read (the clip coefficient of
    /// `GradientClipping.clipCoefficient`); 1 leaves them as they are.
    public func step(learningRate: Double, gradientScale: Float = 1) {
        for slot in slots {
            guard let grad = slot.tensor.grad else { continue }
            precondition(grad.count == slot.tensor.count,
                         "AdamW: gradient of \(slot.name) has shape \(grad.shape), parameter \(slot.tensor.shape)")
            slot.step += 1
            let c = AdamWCoefficients(learningRate: learningRate, weightDecay: slot.weightDecay,
                                      beta1: beta1, beta2: beta2, epsilon: epsilon, step: slot.step)
            let args = c.kernelArguments(param: slot.tensor.data, grad: grad.data, gradientScale: gradientScale,
                                         m: slot.m.data, v: slot.v.data)
            Parallel.forEachRange(slot.tensor.count, minimumChunk: AdamW.minimumChunk) { range in
                bk_adamw_update(args, range.lowerBound, range.upperBound)
            }
        }
    }
}
