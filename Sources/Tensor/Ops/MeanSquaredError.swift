/// mean((prediction - target)²) over all elements (regression with one label): prediction is
/// any shape with N elements, target N values. Returns a scalar. `denominator`, when given,
/// replaces N (data-parallel training divides by the elements of all ranks).
public func meanSquaredError(prediction: Tensor, target: [Float], denominator: Double? = nil) -> Tensor {
    Profiler.measure(.loss) {
        precondition(prediction.count == target.count, "meanSquaredError: \(prediction.count) predictions, \(target.count) targets")
        var sum = 0.0
        for i in 0..<target.count {
            let d = Double(prediction.data[i] - target[i])
            sum += d * d
        }
        let divisor = denominator ?? Double(max(target.count, 1))
        let out = Tensor(scalar: Float(sum / divisor))
        return Autograd.record(MeanSquaredErrorOp(target: target, divisor: Float(divisor)), inputs: [prediction], output: out)
    }
}

struct MeanSquaredErrorOp: BackwardOp {
    var category: Profiler.Category { .loss }
    let target: [Float]
    let divisor: Float
    var name: String { "mse" }
    // d/dpred_i = 2·(pred_i - target_i) / N.
    func backward(gradOutput dLoss: Tensor, inputs: [Tensor], output: Tensor) {
        let p = inputs[0].data, dx = inputs[0].gradBuffer().data
        let factor = 2 * dLoss.item / divisor
        for i in 0..<target.count { dx[i] += factor * (p[i] - target[i]) }
    }
}
