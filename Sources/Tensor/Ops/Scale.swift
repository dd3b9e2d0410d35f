/// out = x * factor, any shape.
public func scale(_ x: Tensor, by factor: Float) -> Tensor {
    let out = Tensor(zeros: x.shape)
    let px = x.data, po = out.data
    Parallel.forEachRange(x.count) { range in
        for i in range { po[i] = px[i] * factor }
    }
    return Autograd.record(ScaleOp(factor: factor), inputs: [x], output: out)
}

struct ScaleOp: BackwardOp {
    let factor: Float
    var name: String { "scale" }
    // forward: out = x * factor, so dx += dout * factor.
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let dx = inputs[0].gradBuffer().data, pd = dout.data
        Parallel.forEachRange(dout.count) { range in
            for i in range { dx[i] += pd[i] * factor }
        }
    }
}
