extension Tensor {
    /// The same values with another shape (a view: no copy). The gradient flows back unchanged.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let out = Tensor(shape: newShape, sharing: storage)
        return Autograd.record(ReshapeOp(), inputs: [self], output: out)
    }
}

struct ReshapeOp: BackwardOp {
    var name: String { "reshape" }
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        accumulate(dout, into: inputs[0].gradBuffer())
    }
}

/// The transpose of a 2-D tensor (a copy): x is (R, S); out is (S, R).
public func transpose(_ x: Tensor) -> Tensor {
    precondition(x.rank == 2, "transpose of a \(x.rank)-D tensor")
    let r = x.shape[0], s = x.shape[1]
    let out = Tensor(zeros: [s, r])
    for i in 0..<r { for j in 0..<s { out.data[j * r + i] = x.data[i * s + j] } }
    return Autograd.record(TransposeOp(), inputs: [x], output: out)
}

struct TransposeOp: BackwardOp {
    var name: String { "transpose" }
    // dx[i, j] += dout[j, i].
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let r = inputs[0].shape[0], s = inputs[0].shape[1]
        let dx = inputs[0].gradBuffer().data
        for i in 0..<r { for j in 0..<s { dx[i * s + j] += dout.data[j * r + i] } }
    }
}

/// Columns `range` of the last dimension: x is (..., K); out is (..., range.count).
/// The span head splits its (N, 2) logits into start (N, 1) and end (N, 1) with this.
public func sliceColumns(_ x: Tensor, _ range: Range<Int>) -> Tensor {
    let k = x.shape.last!, rows = x.count / k, w = range.count
    precondition(range.lowerBound >= 0 && range.upperBound <= k, "sliceColumns \(range) of \(k) columns")
    let out = Tensor(zeros: Array(x.shape.dropLast()) + [w])
    for r in 0..<rows { (out.data + r * w).update(from: x.data + r * k + range.lowerBound, count: w) }
    return Autograd.record(SliceColumnsOp(range: range), inputs: [x], output: out)
}

struct SliceColumnsOp: BackwardOp {
    let range: Range<Int>
    var name: String { "slice_columns" }
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let k = inputs[0].shape.last!, w = range.count, rows = dout.count / w
        let dx = inputs[0].gradBuffer().data
        for r in 0..<rows {
            for j in 0..<w { dx[r * k + range.lowerBound + j] += dout.data[r * w + j] }
        }
    }
}
