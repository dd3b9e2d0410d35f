import Foundation
import Tensor

/// Binary cross-entropy on logits, mean over every element, as
/// torch.nn.functional.binary_cross_entropy_with_logits: logits x (B, K), targets y (B·K) in [0, 1].
///   loss = mean( max(x, 0) - x·y + log(1 + exp(-|x|)) )      (the stable form of -y·log σ(x) - (1-y)·log(1-σ(x)))
public func binaryCrossEntropy(logits: Tensor, targets: [Float]) -> Tensor {
    precondition(targets.count == logits.count, "binaryCrossEntropy: \(targets.count) targets for \(logits.count) logits")
    var sum = 0.0
    for i in 0..<logits.count {
        let x = Double(logits.data[i]), y = Double(targets[i])
        sum += max(x, 0) - x * y + log1p(exp(-abs(x)))
    }
    let out = Tensor(scalar: Float(sum / Double(max(logits.count, 1))))
    return Autograd.record(BinaryCrossEntropyOp(targets: targets), inputs: [logits], output: out)
}

/// d loss / d x = (σ(x) - y) / (B·K). The forward saves nothing but the targets: σ(x) is
/// recomputed from the logits, which the graph keeps.
struct BinaryCrossEntropyOp: BackwardOp {
    let targets: [Float]
    var name: String { "binary_cross_entropy" }
    var category: Profiler.Category { .loss }

    func backward(gradOutput: Tensor, inputs: [Tensor], output: Tensor) {
        let logits = inputs[0]
        guard logits.requiresGrad else { return }
        let dx = logits.gradBuffer().data
        let factor = gradOutput.item / Float(logits.count)
        for i in 0..<logits.count {
            let sigmoid = 1 / (1 + Float(exp(-Double(logits.data[i]))))
            dx[i] += factor * (sigmoid - targets[i])
        }
    }
}
