/// out = a + b, same shapes (the residual connection). Adding a per-feature bias is part of `linear`.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    Profiler.measure(.normalization) {
        precondition(a.shape == b.shape, "add of \(a.shape) and \(b.shape)")
        let out = Tensor(zeros: a.shape)
        let pa = a.data, pb = b.data, po = out.data
        Parallel.forEachRange(a.count) { range in
            for i in range { po[i] = pa[i] + pb[i] }
        }
        return Autograd.record(AddOp(), inputs: [a, b], output: out)
    }
}

struct AddOp: BackwardOp {
    var category: Profiler.Category { .normalization }
    var name: String { "add" }
    // forward: out = a + b, so da += dout and db += dout.
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        for input in inputs where input.requiresGrad {
            accumulate(dout, into: input.gradBuffer())
        }
    }
}

/// into += g, element-wise (shared by ops whose backward passes a gradient straight through).
func accumulate(_ g: Tensor, into: Tensor) {
    let pg = g.data, pi = into.data
    Parallel.forEachRange(g.count) { range in
        for i in range { pi[i] += pg[i] }
    }
}
