import Foundation

/// y = tanh(x), element-wise on any shape (the pooler's activation).
public func tanh(_ x: Tensor) -> Tensor {
    let out = Tensor(zeros: x.shape)
    let px = x.data, po = out.data
    Parallel.forEachRange(x.count) { range in
        for i in range { po[i] = tanhf(px[i]) }
    }
    return Autograd.record(TanhOp(), inputs: [x], output: out)
}

struct TanhOp: BackwardOp {
    var name: String { "tanh" }
    // The output y is kept; dy/dx = 1 - y².
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let py = output.data, dx = inputs[0].gradBuffer().data, pd = dout.data
        Parallel.forEachRange(dout.count) { range in
            for i in range { dx[i] += pd[i] * (1 - py[i] * py[i]) }
        }
    }
}
