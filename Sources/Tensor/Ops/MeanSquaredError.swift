/// mean((prediction - target)²) over all elements (regression with one label): prediction is
/// any shape with N elements, target N values. Returns a scalar.
public func meanSquaredError(prediction: Tensor, target: [Float]) -> Tensor {
    Profiler.measure(.loss) {
        precondition(prediction.count == target.count, "meanSquaredError: \(prediction.count) predictions, \(target.count) targets")
        var sum = 0.0
        for i in 0..<target.count {
            let d = Double(prediction.data[i] - target[i])
            sum += d * d
        }
        let out = Tensor(scalar: Float(sum / Double(max(target.count, 1))))
        return Autograd.record(MeanSquaredErrorOp(target: target), inputs: [prediction], output: out)
    }
}

struct MeanSquaredErrorOp: BackwardOp {
    var category: Profiler.Category { .loss }
    let target: [Float]
    var name: String { "mse" }
    // d/dpred_i = 2·(pred_i - target_i) / N.
    func backward(gradOutput dLoss: Tensor, inputs: [Tensor], output: Tensor) {
        let p = inputs[0].data, dx = inputs[0].gradBuffer().data
        let factor = 2 * dLoss.item / Float(max(target.count, 1))
        for i in 0..<target.count { dx[i] += factor * (p[i] - target[i]) }
    }
}
