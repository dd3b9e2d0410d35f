import Foundation

/// Softmax cross-entropy, mean over the rows whose label is not `ignoreIndex`, as
/// torch.nn.functional.cross_entropy: logits is (N, K), labels (N); optional class weights (K)
/// make it Σ w[y]·(-log p[y]) / Σ w[y] over the kept rows. Returns a scalar; when every row is
/// ignored the result is NaN (0/0), as in torch. `denominator`, when given, replaces Σ w[y]
/// (data-parallel training divides by the sum over all ranks, `crossEntropyDenominator`).
public func crossEntropy(logits: Tensor, labels: [Int32], ignoreIndex: Int32 = -100, classWeights: [Float]? = nil,
                         denominator: Double? = nil) -> Tensor {
    Profiler.measure(.loss) {
        let k = logits.shape.last!, n = logits.count / k
        precondition(labels.count == n, "crossEntropy: \(labels.count) labels for \(n) rows")
        precondition(classWeights == nil || classWeights!.count == k, "crossEntropy: \(classWeights!.count) weights for \(k) classes")
        let probabilities = Tensor(zeros: [n, k])
        for label in labels where label != ignoreIndex {
            precondition(label >= 0 && Int(label) < k, "crossEntropy: label \(label) outside 0..<\(k)")
        }
        // Rows are independent: split over the cores (a masked LM's rows are vocabulary-wide);
        // each row's loss is kept and the sum taken in row order, so the bits do not depend on
        // the thread count.
        var rowLosses = [Double](repeating: 0, count: n)
        rowLosses.withUnsafeMutableBufferPointer { losses in
            let losses = losses
            Parallel.forEachRange(n, minimumChunk: max(1, 32768 / k)) { range in
                for r in range {
                    let row = logits.data + r * k, pRow = probabilities.data + r * k
                    softmaxRow(row, pRow, k)
                    let label = labels[r]
                    if label == ignoreIndex { continue }
                    // -log softmax computed from the logits (log-sum-exp) rather than log(p), for accuracy.
                    var maxValue = -Float.infinity
                    for j in 0..<k { maxValue = max(maxValue, row[j]) }
                    var sum = 0.0
                    for j in 0..<k { sum += Double(expf(row[j] - maxValue)) }
                    losses[r] = Double(maxValue) + Foundation.log(sum) - Double(row[Int(label)])
                }
            }
        }
        var lossSum = 0.0, weightSum = 0.0
        for (r, label) in labels.enumerated() where label != ignoreIndex {
            let w = Double(classWeights?[Int(label)] ?? 1)
            lossSum += w * rowLosses[r]
            weightSum += w
        }
        if let denominator { weightSum = denominator }
        let out = Tensor(scalar: Float(lossSum / weightSum))
        return Autograd.record(CrossEntropyOp(probabilities: probabilities, labels: labels, ignoreIndex: ignoreIndex,
                                              classWeights: classWeights, weightSum: Float(weightSum)),
                               inputs: [logits], output: out)
    }
}

/// What `crossEntropy` divides by: Σ w[y] over the rows whose label is not `ignoreIndex` (their
/// count without class weights).
public func crossEntropyDenominator(labels: [Int32], ignoreIndex: Int32 = -100, classWeights: [Float]? = nil) -> Double {
    var sum = 0.0
    for label in labels where label != ignoreIndex { sum += Double(classWeights?[Int(label)] ?? 1) }
    return sum
}

struct CrossEntropyOp: BackwardOp {
    var category: Profiler.Category { .loss }
    /// softmax(logits), (N, K).
    let probabilities: Tensor
    let labels: [Int32]
    let ignoreIndex: Int32
    let classWeights: [Float]?
    let weightSum: Float
    var name: String { "cross_entropy" }
    // d loss / d logits[r] = w[y_r]·(p[r] - onehot(y_r)) / Σw, and 0 for ignored rows.
    func backward(gradOutput dLoss: Tensor, inputs: [Tensor], output: Tensor) {
        let k = probabilities.shape[1]
        let dx = inputs[0].gradBuffer().data, g = dLoss.item
        // each row its own: split over the cores as the forward
        Parallel.forEachRange(labels.count, minimumChunk: max(1, 32768 / k)) { range in
            for r in range where labels[r] != ignoreIndex {
                let label = labels[r]
                let factor = g * (classWeights?[Int(label)] ?? 1) / weightSum
                let pRow = probabilities.data + r * k, dRow = dx + r * k
                for j in 0..<k { dRow[j] += factor * pRow[j] }
                dRow[Int(label)] -= factor
            }
        }
    }
}
