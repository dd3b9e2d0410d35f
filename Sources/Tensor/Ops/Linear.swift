/// y = x·Wᵀ + b, PyTorch's nn.Linear layout.
/// x is (..., I), weight is (O, I), bias is (O) or nil; out is (..., O).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
    precondition(x.shape.last == inFeatures, "linear: input \(x.shape) does not end in \(inFeatures) features")
    let rows = x.count / inFeatures
    let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outFeatures])
    // out (N,O) = x (N,I) · Wᵀ (I,O)
    OpenBLAS.shared.sgemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                          a: x.data, lda: inFeatures, b: weight.data, ldb: inFeatures, c: out.data, ldc: outFeatures)
    if let bias {
        precondition(bias.count == outFeatures, "linear: bias \(bias.shape) for \(outFeatures) outputs")
        addRowVector(out.data, rows: rows, columns: outFeatures, vector: bias.data)
    }
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Autograd.record(LinearOp(rows: rows, inFeatures: inFeatures, outFeatures: outFeatures),
                           inputs: inputs, output: out)
}

struct LinearOp: Operation {
    let rows: Int, inFeatures: Int, outFeatures: Int
    var name: String { "linear" }

    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let x = inputs[0], weight = inputs[1]
        let blas = OpenBLAS.shared
        if x.requiresGrad { // dx (N,I) += dy (N,O) · W (O,I)
            let (dx, beta) = x.gradientForGEMM()
            blas.sgemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
                       a: dy.data, lda: outFeatures, b: weight.data, ldb: inFeatures,
                       beta: beta, c: dx.data, ldc: inFeatures)
        }
        if weight.requiresGrad { // dW (O,I) += dyᵀ (O,N) · x (N,I)
            let (dW, beta) = weight.gradientForGEMM()
            blas.sgemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                       a: dy.data, lda: outFeatures, b: x.data, ldb: inFeatures,
                       beta: beta, c: dW.data, ldc: inFeatures)
        }
        if inputs.count == 3, inputs[2].requiresGrad { // db (O) += column sums of dy
            addColumnSums(dy.data, rows: rows, columns: outFeatures, into: inputs[2].gradBuffer().data)
        }
    }
}

/// out[r, c] += vector[c] for every row.
@inline(__always)
func addRowVector(_ out: UnsafeMutablePointer<Float>, rows: Int, columns: Int, vector: UnsafePointer<Float>) {
    Parallel.forEachRange(rows, minimumChunk: max(1, 16384 / max(columns, 1))) { range in
        for r in range {
            let row = out + r * columns
            for c in 0..<columns { row[c] += vector[c] }
        }
    }
}

/// into[c] += Σ_r m[r, c], rows added in order. The columns are split over the cores (each
/// column's sum is one thread's, so the bits do not depend on the thread count).
@inline(__always)
func addColumnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into: UnsafeMutablePointer<Float>) {
    let minimumColumns = max(16, 65536 / max(rows, 1))
    Parallel.forEachRange(columns, minimumChunk: minimumColumns) { range in
        for r in 0..<rows {
            let row = m + r * columns
            for c in range { into[c] += row[c] }
        }
    }
}
