/// y = max(0, x), element-wise on any shape.
public func relu(_ x: Tensor) -> Tensor {
    let out = Tensor(zeros: x.shape)
    let px = x.data, po = out.data
    Parallel.forEachRange(x.count) { range in
        for i in range { po[i] = px[i] > 0 ? px[i] : 0 }
    }
    return Autograd.record(ReLUOp(), inputs: [x], output: out)
}

struct ReLUOp: BackwardOp {
    var name: String { "relu" }
    // dy/dx = 1 where x > 0, else 0 (torch's choice at 0).
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let px = inputs[0].data, dx = inputs[0].gradBuffer().data, pd = dout.data
        Parallel.forEachRange(dout.count) { range in
            for i in range where px[i] > 0 { dx[i] += pd[i] }
        }
    }
}
