import Foundation

/// The engine's GEMM, in the current `Precision`: row-major C[m x n] = alpha·op(A)·op(B) + beta·C,
/// `transposeA` meaning A is stored [k x m], `transposeB` that B is stored [n x k].
///
/// fp32: OpenBLAS's sgemm. bf16: both operands rounded to bf16 (BertKit's own rounding, nearest
/// even), multiplied by oneDNN's matmul with float32 accumulation and a float32 C. An operand
/// that holds parameters names them (`aWeights`, `bWeights`: the tensors stacked by rows, as
/// `a`/`b` hold them), so that their bf16 copy is made once per step (`BF16Weights`).
func engineGEMM(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                a: UnsafePointer<Float>, lda: Int, aWeights: [Tensor]? = nil,
                b: UnsafePointer<Float>, ldb: Int, bWeights: [Tensor]? = nil,
                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    switch Precision.current {
    case .fp32:
        OpenBLAS.shared.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    case .bf16:
        if m == 0 || n == 0 { return }
        // inference on weights a scope keeps: B packed once into oneDNN's layout, where a
        // plain B is re-laid at every product (as costly as the product for a few rows)
        let state = ThreadState.current
        let packB = bf16UnitsPresent && bWeights != nil && state.weightScopeDepth > 0 && !state.isRecording
        Profiler.measure(.gemm) {
            let a16 = bf16Operand(a, rows: transposeA ? k : m, columns: transposeA ? m : k, rowStride: lda, weights: aWeights)
            let b16 = bf16Operand(b, rows: transposeB ? n : k, columns: transposeB ? k : n, rowStride: ldb, weights: bWeights)
            if packB {
                OneDNN.engine.matmulBF16(transposeA: transposeA, m: m, n: n, k: k, alpha: alpha,
                                         a: a16.pointer, lda: a16.columns, packedB: b16.packedB(transposed: transposeB),
                                         beta: beta, c: c, ldc: ldc)
            } else {
                OneDNN.engine.matmulBF16(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                         a: a16.pointer, lda: a16.columns, b: b16.pointer, ldb: b16.columns,
                                         beta: beta, c: c, ldc: ldc)
            }
            withExtendedLifetime((a16, b16)) {}
        }
    }
}

/// A GEMM operand stored as a (rows, columns) matrix, rounded to bf16: the parameters' copy
/// when it holds parameters, a fresh rounding otherwise.
private func bf16Operand(_ x: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int, weights: [Tensor]?) -> BF16Matrix {
    if let weights {
        let matrix = BF16Weights.matrix(of: weights)
        precondition(matrix.rows == rows && matrix.columns == columns && rowStride == columns,
                     "bf16 GEMM: parameters \(weights.map(\.shape)) used as a (\(rows), \(columns)) operand with row stride \(rowStride)")
        return matrix
    }
    return BF16Matrix(rounding: x, rows: rows, columns: columns, rowStride: rowStride)
}

extension OneDNN {
    /// The library the engine's bf16 GEMMs use. Loading it is checked before any work
    /// (`BF16Support.check`), so a failure here is a caller that skipped the check.
    static let engine: OneDNN = {
        do {
            return try OneDNN.load()
        } catch {
            FileHandle.standardError.write(Data("bertkit: \(error)\n".utf8))
            exit(70)
        }
    }()
}

/// Whether the CPU has bfloat16 units: only there are bf16 weights packed. Under emulation
/// (BERTKIT_BF16_EMULATION=1 on a CPU without them) B stays plain, the path always tested there;
/// whether oneDNN has the packed primitive under AVX-512 emulation has not been measured.
private let bf16UnitsPresent = BF16Support.hasBF16Units(.current())
