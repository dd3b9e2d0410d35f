import CKernels

/// y = x·Wᵀ + b, PyTorch's nn.Linear layout.
/// x is (..., I), weight is (O, I), bias is (O) or nil; out is (..., O).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1]
    precondition(x.shape.last == inFeatures, "linear: input \(x.shape) does not end in \(inFeatures) features")
    let rows = x.count / inFeatures
    let out = linearValues(x.data, rows: rows, leadingShape: Array(x.shape.dropLast()), weight: weight, bias: bias)
    return Autograd.record(LinearOp(rows: rows), inputs: linearInputs(x, weight, bias), output: out)
}

/// The recorded inputs of a linear op: x, weight and the bias when there is one.
func linearInputs(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) -> [Tensor] {
    bias.map { [x, weight, $0] } ?? [x, weight]
}

/// The bias among a linear op's recorded inputs (`linearInputs`), or nil.
func linearBias(_ inputs: [Tensor]) -> Tensor? { inputs.count == 3 ? inputs[2] : nil }

/// out (N,O) = x (N,I) · Wᵀ (I,O) + b, not recorded; out's shape is leadingShape + [O].
/// `weightParts`: the parameters W stacks by rows (default: W itself), whose bf16 copy a bf16
/// GEMM reuses within a step (`BF16Weights`).
func linearValues(_ x: UnsafePointer<Float>, rows: Int, leadingShape: [Int], weight: Tensor, weightParts: [Tensor]? = nil,
                  bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    let out = Tensor(uninitialized: leadingShape + [outFeatures])
    // With a bias, out starts as the bias in every row and the GEMM adds to it (beta 1): one
    // pass over out, where beta 0 would have OpenBLAS clear it first and the bias add follow.
    if let bias {
        precondition(bias.count == outFeatures, "linear: bias \(bias.shape) for \(outFeatures) outputs")
        fillRows(out.data, rows: rows, columns: outFeatures, with: bias.data)
    }
    engineGEMM(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
               a: x, lda: inFeatures, b: weight.data, ldb: inFeatures, bWeights: weightParts ?? [weight],
               beta: bias == nil ? 0 : 1, c: out.data, ldc: outFeatures)
    return out
}

/// The weight and bias gradients of y = x·Wᵀ + b, for those that require them:
/// dW (O,I) += dyᵀ (O,N) · x (N,I), db (O) += column sums of dy.
func accumulateLinearParameterGradients(dy: Tensor, x: UnsafePointer<Float>, rows: Int, weight: Tensor, bias: Tensor?) {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    if weight.requiresGrad {
        let (dW, beta) = weight.gradientDestination()
        engineGEMM(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                   a: dy.data, lda: outFeatures, b: x, ldb: inFeatures,
                   beta: beta, c: dW.data, ldc: inFeatures)
    }
    if let bias, bias.requiresGrad {
        addColumnSums(dy.data, rows: rows, columns: outFeatures, into: bias.gradBuffer().data)
    }
}

/// d(input) (N,I) = dy (N,O) · W (O,I), written over `into` when beta is 0, added when 1.
/// `weightParts` as in `linearValues`.
func linearInputGradient(dy: Tensor, weight: Tensor, weightParts: [Tensor]? = nil, rows: Int, beta: Float,
                         into: UnsafeMutablePointer<Float>) {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    engineGEMM(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
               a: dy.data, lda: outFeatures, b: weight.data, ldb: inFeatures, bWeights: weightParts ?? [weight],
               beta: beta, c: into, ldc: inFeatures)
}

struct LinearOp: BackwardOp {
    let rows: Int
    var name: String { "linear" }

    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let x = inputs[0], weight = inputs[1]
        if x.requiresGrad { // dx (N,I) += dy (N,O) · W (O,I)
            let (dx, beta) = x.gradientDestination()
            linearInputGradient(dy: dy, weight: weight, rows: rows, beta: beta, into: dx.data)
        }
        accumulateLinearParameterGradients(dy: dy, x: x.data, rows: rows, weight: weight, bias: linearBias(inputs))
    }
}

/// out[r, c] = vector[c] for every row.
func fillRows(_ out: UnsafeMutablePointer<Float>, rows: Int, columns: Int, with vector: UnsafePointer<Float>) {
    Parallel.forEachRange(rows, minimumChunk: max(1, 16384 / max(columns, 1))) { range in
        for r in range { (out + r * columns).update(from: vector, count: columns) }
    }
}

/// into[c] += Σ_r m[r, c], rows added in order; row r starts at m + r·rowStride (default:
/// `columns`). The columns are split over the cores (each column's sum is one thread's, so the
/// bits do not depend on the thread count); CKernels' loop vectorises over the columns.
func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int? = nil, into: UnsafeMutablePointer<Float>) {
    let minimumColumns = max(16, 65536 / max(rows, 1))
    let stride = rowStride ?? columns
    Parallel.forEachRange(columns, minimumChunk: minimumColumns) { range in
        bk_add_column_sums(m, rows, stride, into, range.lowerBound, range.upperBound)
    }
}

/// The plain reference of `addColumnSums`, for the tests.
func addColumnSumsReference(_ m: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int, into: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        for c in 0..<columns { into[c] += m[r * rowStride + c] }
    }
}
