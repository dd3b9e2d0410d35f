/// Rows `rows` of x (N, C), in the order given, into out (M, C): how a masked-LM head takes the
/// few positions it predicts out of the (B·T, C) states before its vocabulary-sized GEMM.
/// The inverse of `scatterRows`.
public func gatherRows(_ x: Tensor, rows: [Int]) -> Tensor {
    let c = x.shape.last!, n = x.count / c
    precondition(rows.allSatisfy { $0 >= 0 && $0 < n }, "gatherRows: a row index outside 0..<\(n)")
    let out = Tensor(uninitialized: [rows.count, c])
    let px = x.data, po = out.data
    for (i, row) in rows.enumerated() { (po + i * c).update(from: px + row * c, count: c) }
    return Autograd.record(GatherRowsOp(rows: rows), inputs: [x], output: out)
}

struct GatherRowsOp: BackwardOp {
    let rows: [Int]
    var name: String { "gather_rows" }
    // forward: out[i] = x[rows[i]], so dx[rows[i]] += dout[i] (a repeated row adds up); the rows
    // nothing reads get no gradient.
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let c = dout.shape.last!
        let dx = inputs[0].gradBuffer().data, pd = dout.data
        for (i, row) in rows.enumerated() {
            let target = dx + row * c, source = pd + i * c
            for j in 0..<c { target[j] += source[j] }
        }
    }
}
