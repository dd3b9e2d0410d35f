/// Fused multi-head self-attention, softmax(Q·Kᵀ/√D + mask)·V per batch and head:
///   q, k, v are (B·T, C) with C = H·D (head h owns columns h·D ..< (h+1)·D);
///   additiveMask is (B, T): 0 for tokens to attend to, a large negative for padding
///   (added to every query's scores for that key, as transformers' extended attention mask);
///   out is (B·T, C), the heads' outputs side by side (ready for the output projection).
/// Attention-probability dropout is applied inside, with the same Philox scheme as `dropout`.
/// Saves the probabilities P (B, H, T, T) before dropout; the dropout mask is regenerated.
public func attention(query q: Tensor, key k: Tensor, value v: Tensor, additiveMask: Tensor,
                      batch b: Int, heads h: Int,
                      dropout p: Float = 0, training: Bool = false, stream: inout RandomStream) -> Tensor {
    Profiler.measure(.attention) {
        let c = q.shape.last!, t = q.count / (b * c), d = c / h
        precondition(q.count == b * t * c && k.shape == q.shape && v.shape == q.shape && c == h * d,
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape) for batch \(b), heads \(h)")
        precondition(additiveMask.count == b * t, "attention: mask \(additiveMask.shape) for batch \(b) x \(t) tokens")
        let useDropout = training && p > 0
        let dropoutStart = useDropout ? stream.reserve(blocks: (b * h * t * t + 3) / 4) : 0
        let geometry = AttentionGeometry(batch: b, tokens: t, heads: h, headSize: d,
                                         dropout: useDropout ? p : 0, dropoutKey: stream.key, dropoutStart: dropoutStart)
        let out = Tensor(zeros: q.shape)
        let probs = Tensor(zeros: [b, h, t, t])
        let scratch = Tensor(zeros: [t, t])
        let blas = OpenBLAS.shared
        for bh in 0..<(b * h) {
            let (batchIndex, head) = (bh / h, bh % h)
            let offset = batchIndex * t * c + head * d          // (b, 0, h·D) in the (B·T, C) layout
            let pBH = probs.data + bh * t * t
            // scores (T,T) = Q_bh (T,D) · K_bhᵀ (D,T) / √D
            blas.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: 1 / Float(d).squareRoot(),
                       a: q.data + offset, lda: c, b: k.data + offset, ldb: c, c: pBH, ldc: t)
            // + mask over keys, softmax over keys, in place
            let maskRow = additiveMask.data + batchIndex * t
            for i in 0..<t {
                let row = pBH + i * t
                for j in 0..<t { row[j] += maskRow[j] }
                softmaxRow(row, row, t)
            }
            // out_bh (T,D) = dropout(P) (T,T) · V_bh (T,D)
            let pUsed = geometry.droppedProbabilities(pBH, bh: bh, into: scratch.data)
            blas.sgemm(transposeA: false, transposeB: false, m: t, n: d, k: t,
                       a: pUsed, lda: t, b: v.data + offset, ldb: c, c: out.data + offset, ldc: c)
        }
        return Autograd.record(AttentionOp(geometry: geometry, probabilities: probs), inputs: [q, k, v], output: out)
    }
}

/// Sizes and the dropout stream position of one attention call.
struct AttentionGeometry {
    let batch: Int, tokens: Int, heads: Int, headSize: Int
    let dropout: Float
    let dropoutKey: UInt64
    let dropoutStart: UInt64

    /// P with dropout applied (written to `scratch`), or P itself when dropout is off.
    /// Element (i, j) of pair bh is flat index (bh·T + i)·T + j of the reserved Philox range.
    func droppedProbabilities(_ p: UnsafeMutablePointer<Float>, bh: Int, into scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        guard dropout > 0 else { return p }
        let n = tokens * tokens
        applyDropoutMask(from: p, to: scratch, count: n, key: dropoutKey,
                         start: dropoutStart, firstIndex: bh * n, probability: dropout, accumulate: false)
        return scratch
    }
}

struct AttentionOp: Operation {
    var category: Profiler.Category { .attention }
    let geometry: AttentionGeometry
    /// Softmax probabilities before dropout, (B, H, T, T).
    let probabilities: Tensor
    var name: String { "attention" }

    func backward(gradOutput dOut: Tensor, inputs: [Tensor], output: Tensor) {
        let q = inputs[0], k = inputs[1], v = inputs[2]
        let t = geometry.tokens, h = geometry.heads, d = geometry.headSize, c = h * d
        let scaleFactor = 1 / Float(d).squareRoot()
        let dq = q.gradBuffer().data, dk = k.gradBuffer().data, dv = v.gradBuffer().data
        let dropped = Tensor(zeros: [t, t]), dP = Tensor(zeros: [t, t])
        let blas = OpenBLAS.shared
        for bh in 0..<(geometry.batch * h) {
            let offset = (bh / h) * t * c + (bh % h) * d
            let pBH = probabilities.data + bh * t * t
            let pUsed = geometry.droppedProbabilities(pBH, bh: bh, into: dropped.data)
            // dV_bh (T,D) += dropout(P)ᵀ (T,T) · dOut_bh (T,D)
            blas.sgemm(transposeA: true, transposeB: false, m: t, n: d, k: t,
                       a: pUsed, lda: t, b: dOut.data + offset, ldb: c, beta: 1, c: dv + offset, ldc: c)
            // d(dropout(P)) (T,T) = dOut_bh (T,D) · V_bhᵀ (D,T)
            blas.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: d,
                       a: dOut.data + offset, lda: c, b: v.data + offset, ldb: c, c: dP.data, ldc: t)
            // dP = d(dropout(P)) · keep / (1 - p): the same mask again
            if geometry.dropout > 0 {
                let n = t * t
                applyDropoutMask(from: dP.data, to: dP.data, count: n, key: geometry.dropoutKey,
                                 start: geometry.dropoutStart, firstIndex: bh * n,
                                 probability: geometry.dropout, accumulate: false)
            }
            // dScores = P ⊙ (dP - rowsum(dP ⊙ P)), in place in dP (the mask is a constant)
            for i in 0..<t {
                let pRow = pBH + i * t, gRow = dP.data + i * t
                var dot: Float = 0
                for j in 0..<t { dot += gRow[j] * pRow[j] }
                for j in 0..<t { gRow[j] = pRow[j] * (gRow[j] - dot) }
            }
            // dQ_bh (T,D) += dScores (T,T) · K_bh (T,D) / √D
            blas.sgemm(transposeA: false, transposeB: false, m: t, n: d, k: t, alpha: scaleFactor,
                       a: dP.data, lda: t, b: k.data + offset, ldb: c, beta: 1, c: dq + offset, ldc: c)
            // dK_bh (T,D) += dScoresᵀ (T,T) · Q_bh (T,D) / √D
            blas.sgemm(transposeA: true, transposeB: false, m: t, n: d, k: t, alpha: scaleFactor,
                       a: dP.data, lda: t, b: q.data + offset, ldb: c, beta: 1, c: dk + offset, ldc: c)
        }
    }
}
