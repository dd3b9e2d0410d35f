/// y = gelu(x)·Wᵀ + b, BERT's feed-forward output projection with its activation in front,
/// as one op that keeps only the pre-activation x and recomputes gelu(x) in the backward.
///   x is (N, I) (the intermediate dense output, I = 4·C), weight (O, I), bias (O) or nil; y (N, O).
/// Keeping gelu(x) for the backward would cost N·I floats per layer (25 MB per bert-base layer
/// at batch 16 x 128); recomputing it costs one pass of the GELU kernel.
/// The values and gradients are those of `linear(gelu(x), ...)` to the bit (tested).
public func geluLinear(_ x: Tensor, kind: GELUKind, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1]
    precondition(x.shape.last == inFeatures, "geluLinear: input \(x.shape) does not end in \(inFeatures) features")
    let rows = x.count / inFeatures
    let activated = geluValues(x, kind: kind)                  // (N, I), dropped after the GEMM
    let out = linearValues(activated.data, rows: rows, leadingShape: Array(x.shape.dropLast()), weight: weight, bias: bias)
    return Autograd.record(GELULinearOp(kind: kind, rows: rows), inputs: linearInputs(x, weight, bias), output: out)
}

struct GELULinearOp: BackwardOp {
    let kind: GELUKind
    let rows: Int
    var name: String { "gelu_linear" }

    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let x = inputs[0], weight = inputs[1]
        guard x.requiresGrad else {
            accumulateLinearParameterGradients(dy: dy, x: geluValues(x, kind: kind).data, rows: rows,
                                               weight: weight, bias: linearBias(inputs))
            return
        }
        // gelu(x) and gelu'(x) from one pass (one erf per element, not two); the (N, I) values
        // buffer serves first as gelu(x) for dW, then as d(gelu(x)) for dx
        let (scratch, derivatives) = geluValuesAndDerivatives(x, kind: kind)
        accumulateLinearParameterGradients(dy: dy, x: scratch.data, rows: rows, weight: weight, bias: linearBias(inputs))
        linearInputGradient(dy: dy, weight: weight, rows: rows, beta: 0, into: scratch.data)
        // dx += d(gelu(x)) ⊙ gelu'(x), formed in the scratch buffer when x has no gradient yet
        geluBackward(x, consumedGradActivation: scratch, derivatives: derivatives)
    }
}
