/// Places the rows of x (N, C) at `rows` (N distinct indices) of a zero (count, C) matrix: how
/// a packed batch (real tokens only) goes back to its padded (B·T, C) layout. The rows no token
/// lands on stay 0.
public func scatterRows(_ x: Tensor, to rows: [Int], count: Int) -> Tensor {
    let c = x.shape.last!, n = x.count / c
    precondition(rows.count == n && rows.allSatisfy { $0 >= 0 && $0 < count },
                 "scatterRows: \(rows.count) target rows (each below \(count)) for \(n) rows")
    let out = Tensor(zeros: [count, c])
    let px = x.data, po = out.data
    for (i, row) in rows.enumerated() { (po + row * c).update(from: px + i * c, count: c) }
    return Autograd.record(ScatterRowsOp(rows: rows), inputs: [x], output: out)
}

struct ScatterRowsOp: BackwardOp {
    let rows: [Int]
    var name: String { "scatter_rows" }
    // forward: out[rows[i]] = x[i], so dx[i] += dout[rows[i]]: a gather, every row of dx written.
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let c = dout.shape.last!
        let (gx, beta) = inputs[0].gradientDestination()
        let dx = gx.data, pd = dout.data
        for (i, row) in rows.enumerated() {
            let target = dx + i * c, source = pd + row * c
            if beta == 0 { target.update(from: source, count: c) } else { for j in 0..<c { target[j] += source[j] } }
        }
    }
}
