/// y = gelu(x)·Wᵀ + b, BERT's feed-forward output projection with its activation in front,
/// as one op that keeps only the pre-activation x and recomputes gelu(x) in the backward.
///   x is (N, I) (the intermediate dense output, I = 4·C), weight (O, I), bias (O) or nil; y (N, O).
/// Keeping gelu(x) for the backward would cost N·I floats per layer (25 MB per bert-base layer
/// at batch 16 x 128); recomputing it costs one pass of the GELU kernel.
/// The values and gradients are those of `linear(gelu(x), ...)` to the bit (tested).
public func geluLinear(_ x: Tensor, kind: GELUKind, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    precondition(x.shape.last == inFeatures, "geluLinear: input \(x.shape) does not end in \(inFeatures) features")
    let rows = x.count / inFeatures
    let activated = geluValues(x, kind: kind)                  // (N, I), dropped after the GEMM
    let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outFeatures])
    // out (N,O) = gelu(x) (N,I) · Wᵀ (I,O)
    OpenBLAS.shared.sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                          a: activated.data, lda: inFeatures, b: weight.data, ldb: inFeatures, c: out.data, ldc: outFeatures)
    if let bias {
        precondition(bias.count == outFeatures, "geluLinear: bias \(bias.shape) for \(outFeatures) outputs")
        addRowVector(out.data, rows: rows, columns: outFeatures, vector: bias.data)
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Autograd.record(GELULinearOp(kind: kind, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures),
                           inputs: inputs, output: out)
}

struct GELULinearOp: Operation {
    let kind: GELUKind
    let rows: Int, inFeatures: Int, outFeatures: Int
    var name: String { "gelu_linear" }

    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let x = inputs[0], weight = inputs[1]
        let blas = OpenBLAS.shared
        // one (N, I) scratch: first gelu(x) for dW, then d(gelu(x)) for dx
        let scratch = geluValues(x, kind: kind)
        if weight.requiresGrad { // dW (O,I) += dyᵀ (O,N) · gelu(x) (N,I)
            let (dW, beta) = weight.gradientForGEMM()
            blas.sgemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                       a: dy.data, lda: outFeatures, b: scratch.data, ldb: inFeatures,
                       beta: beta, c: dW.data, ldc: inFeatures)
        }
        if inputs.count == 3, inputs[2].requiresGrad { // db (O) += column sums of dy
            addColumnSums(dy.data, rows: rows, columns: outFeatures, into: inputs[2].gradBuffer().data)
        }
        if x.requiresGrad {
            // d(gelu(x)) (N,I) = dy (N,O) · W (O,I), over the scratch
            blas.sgemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
                       a: dy.data, lda: outFeatures, b: weight.data, ldb: inFeatures,
                       beta: 0, c: scratch.data, ldc: inFeatures)
            // dx += d(gelu(x)) ⊙ gelu'(x)
            geluBackward(x, gradActivation: scratch, into: x.gradBuffer(), kind: kind)
        }
    }
}
