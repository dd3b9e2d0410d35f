/// C = op(A) · op(B) for 2-D tensors, through the engine's GEMM (`engineGEMM`: fp32 or bf16).
/// a is (M,K) or, with transposeA, stored (K,M); b is (K,N) or, with transposeB, stored (N,K).
/// out is (M,N).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul of \(a.shape) and \(b.shape): both must be 2-D")
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(k == k2, "matmul inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let out = Tensor(zeros: [m, n])
    engineGEMM(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
               a: a.data, lda: a.shape[1], b: b.data, ldb: b.shape[1], c: out.data, ldc: n)
    return Autograd.record(MatMulOp(transposeA: transposeA, transposeB: transposeB), inputs: [a, b], output: out)
}

struct MatMulOp: BackwardOp {
    let transposeA: Bool
    let transposeB: Bool
    var name: String { "matmul" }

    // forward: C = op(A)·op(B). Then dop(A) = dC·op(B)ᵀ and dop(B) = op(A)ᵀ·dC; a stored-transposed
    // operand receives the transpose of its op's gradient, which sgemm gives by swapping roles.
    func backward(gradOutput dC: Tensor, inputs: [Tensor], output: Tensor) {
        let a = inputs[0], b = inputs[1]
        let m = dC.shape[0], n = dC.shape[1]
        let k = transposeA ? a.shape[0] : a.shape[1]
        if a.requiresGrad {
            let dA = a.gradBuffer()
            if !transposeA { // dA (M,K) += dC (M,N) · op(B)ᵀ (N,K)
                engineGEMM(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n,
                           a: dC.data, lda: n, b: b.data, ldb: b.shape[1], beta: 1, c: dA.data, ldc: k)
            } else {         // dA stored (K,M) += op(B) (K,N) · dCᵀ (N,M)
                engineGEMM(transposeA: transposeB, transposeB: true, m: k, n: m, k: n,
                           a: b.data, lda: b.shape[1], b: dC.data, ldb: n, beta: 1, c: dA.data, ldc: m)
            }
        }
        if b.requiresGrad {
            let dB = b.gradBuffer()
            if !transposeB { // dB (K,N) += op(A)ᵀ (K,M) · dC (M,N)
                engineGEMM(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m,
                           a: a.data, lda: a.shape[1], b: dC.data, ldb: n, beta: 1, c: dB.data, ldc: n)
            } else {         // dB stored (N,K) += dCᵀ (N,M) · op(A) (M,K)
                engineGEMM(transposeA: true, transposeB: transposeA, m: n, n: k, k: m,
                           a: dC.data, lda: n, b: a.data, ldb: a.shape[1], beta: 1, c: dB.data, ldc: k)
            }
        }
    }
}
