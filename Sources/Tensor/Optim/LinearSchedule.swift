import Foundation

/// Linear warmup then linear decay to zero: Hugging Face's `get_linear_schedule_with_warmup`
/// (the Trainer's default `lr_scheduler_type: linear`) driven by torch's `LambdaLR`.
///
/// `learningRate(atStep: s)` is the rate for optimizer step s + 1, with s counted from 0, so the
/// first update of a run with warmup uses 0 (as the Trainer does):
///
///     s <  warmup:  base * (s / max(1, warmup))
///     s >= warmup:  base * max(0, (total - s) / max(1, total - warmup))
///
/// computed in Double in that order (the lambda first, then `base * lambda`, as LambdaLR).
public struct LinearSchedule: Equatable, Sendable {
    /// How the warmup length is given.
    public enum Warmup: Equatable, Sendable {
        /// A number of optimizer steps.
        case steps(Int)
        /// A fraction of the total steps, rounded up as the Trainer does: `ceil(total * ratio)`
        /// in Double (so 0.07 of 100 steps is 8, because 100 * 0.07 is 7.000000000000001).
        case ratio(Double)
    }

    public let baseLearningRate: Double
    public let totalSteps: Int
    public let warmupSteps: Int

    /// The warmup and total are validated by whoever read them from the user (the task file);
    /// out-of-range values here are a programmer's mistake.
    public init(baseLearningRate: Double, totalSteps: Int, warmup: Warmup = .steps(0)) {
        precondition(totalSteps >= 0, "LinearSchedule: negative total steps \(totalSteps)")
        self.baseLearningRate = baseLearningRate
        self.totalSteps = totalSteps
        switch warmup {
        case .steps(let steps):
            precondition(steps >= 0, "LinearSchedule: negative warmup steps \(steps)")
            warmupSteps = steps
        case .ratio(let ratio):
            precondition(ratio >= 0 && ratio <= 1, "LinearSchedule: warmup ratio \(ratio) outside [0, 1]")
            warmupSteps = Int((Double(totalSteps) * ratio).rounded(.up))
        }
    }

    /// The learning rate of the optimizer step that follows `step` completed steps.
    public func learningRate(atStep step: Int) -> Double {
        precondition(step >= 0, "LinearSchedule: negative step \(step)")
        let factor: Double
        if step < warmupSteps {
            factor = Double(step) / Double(max(1, warmupSteps))
        } else {
            factor = max(0.0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        }
        return baseLearningRate * factor
    }
}
