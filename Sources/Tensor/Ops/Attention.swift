import CKernels
import Dispatch

/// Fused multi-head self-attention, softmax(Q·Kᵀ/√D + mask)·V per batch and head:
///   q, k, v are (B·T, C) with C = H·D (head h owns columns h·D ..< (h+1)·D);
///   additiveMask is (B, T): 0 for tokens to attend to, a large negative for padding
///   (added to every query's scores for that key, as transformers' extended attention mask);
///   out is (B·T, C), the heads' outputs side by side (ready for the output projection).
/// Attention-probability dropout is applied inside, with the same Philox scheme as `dropout`.
/// Saves the probabilities P (B, H, T, T) before dropout and the keep mask (a byte each).
///
/// The B·H (batch, head) pairs are independent: they are spread over the cores, each running
/// single-threaded GEMMs on its own pair, with OpenBLAS's threads held at 1 meanwhile.
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
                                         dropout: useDropout ? p : 0, dropoutKey: stream.key, dropoutStart: dropoutStart,
                                         keep: useDropout ? ByteStorage(count: b * h * t * t) : nil)
        let out = Tensor(uninitialized: q.shape)
        // The probabilities are kept for the backward only when there will be one; otherwise
        // each pair's (T, T) block lives in its thread's scratch (in cache) and is dropped.
        let keepProbabilities = Autograd.needsGraph([q, k, v])
        let probs = keepProbabilities ? Tensor(uninitialized: [b, h, t, t]) : nil
        let pq = q.data, pk = k.data, pv = v.data, po = out.data, pmask = additiveMask.data
        geometry.forEachPair(scratchBuffers: 2) { bh, scratch in
            let batchIndex = bh / h
            let offset = geometry.offset(bh)                     // (b, 0, h·D) in the (B·T, C) layout
            let pBH = probs.map { $0.data + bh * t * t } ?? scratch + t * t
            let blas = OpenBLAS.shared
            // scores (T,T) = Q_bh (T,D) · K_bhᵀ (D,T) / √D
            blas.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: 1 / Float(d).squareRoot(),
                       a: pq + offset, lda: c, b: pk + offset, ldb: c, c: pBH, ldc: t)
            // + mask over keys, softmax over keys, in place
            bk_softmax_rows(pBH, pmask + batchIndex * t, t, 0, t)
            // out_bh (T,D) = dropout(P) (T,T) · V_bh (T,D), the keep mask drawn here once
            geometry.drawKeepMask(bh: bh)
            let pUsed = geometry.droppedProbabilities(pBH, bh: bh, into: scratch)
            blas.sgemm(transposeA: false, transposeB: false, m: t, n: d, k: t,
                       a: pUsed, lda: t, b: pv + offset, ldb: c, c: po + offset, ldc: c)
        }
        guard let probs else { return out }
        return Autograd.record(AttentionOp(geometry: geometry, probabilities: probs), inputs: [q, k, v], output: out)
    }
}

/// Sizes and the dropout stream position of one attention call.
struct AttentionGeometry {
    let batch: Int, tokens: Int, heads: Int, headSize: Int
    let dropout: Float
    let dropoutKey: UInt64
    let dropoutStart: UInt64
    /// One keep byte per probability (B, H, T, T) when dropout is on.
    let keep: ByteStorage?

    /// Where pair bh's (T, D) block starts in a (B·T, C) matrix.
    func offset(_ bh: Int) -> Int { (bh / heads) * tokens * heads * headSize + (bh % heads) * headSize }

    /// P with dropout applied (written to `scratch`), or P itself when dropout is off.
    /// Element (i, j) of pair bh is flat index (bh·T + i)·T + j of the reserved Philox range.
    func droppedProbabilities(_ p: UnsafeMutablePointer<Float>, bh: Int, into scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        guard let keep else { return p }
        let n = tokens * tokens
        bk_apply_mask(p, scratch, keep.pointer + bh * n, 1 / (1 - dropout), 0, 0, n)
        return scratch
    }

    /// Fills pair bh's part of the keep mask.
    func drawKeepMask(bh: Int) {
        guard let keep else { return }
        let n = tokens * tokens
        bk_dropout_mask(keep.pointer + bh * n, dropoutKey, dropoutStart, bh * n, dropout, 0, n)
    }

    /// Runs `body(bh, scratch)` for every (batch, head) pair, pairs split over the engine's
    /// threads in fixed contiguous chunks, each thread with its own (T, T) scratch buffers.
    /// OpenBLAS runs single-threaded meanwhile, so its GEMMs on different pairs do not compete.
    func forEachPair(scratchBuffers: Int = 1, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let pairs = batch * heads
        let workers = max(1, min(Parallel.threadCount, pairs))
        let chunk = (pairs + workers - 1) / workers
        let scratch = Tensor(uninitialized: [workers, scratchBuffers, tokens, tokens])
        let blas = OpenBLAS.shared
        let savedThreads = blas.threads
        if workers > 1 { blas.threads = 1 }
        defer { if workers > 1 { blas.threads = savedThreads } }
        let size = scratchBuffers * tokens * tokens
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let own = scratch.data + w * size
            for bh in (w * chunk)..<min(pairs, (w + 1) * chunk) { body(bh, own) }
        }
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
        // Each pair writes only its own (T, D) blocks of dq, dk, dv, once each: no two threads touch
        // the same element, and a fresh gradient is overwritten (beta 0) rather than zeroed first.
        // (When one tensor is passed twice, its blocks receive two contributions: accumulate all.)
        let distinct = q !== k && k !== v && q !== v
        let (gq, betaQ) = distinct ? q.gradientForGEMM() : (q.gradBuffer(), 1)
        let (gk, betaK) = distinct ? k.gradientForGEMM() : (k.gradBuffer(), 1)
        let (gv, betaV) = distinct ? v.gradientForGEMM() : (v.gradBuffer(), 1)
        let dq = gq.data, dk = gk.data, dv = gv.data
        let pq = q.data, pk = k.data, pv = v.data, pd = dOut.data, pp = probabilities.data
        let tt = t * t
        geometry.forEachPair(scratchBuffers: 2) { bh, scratch in
            let offset = geometry.offset(bh)
            let pBH = pp + bh * tt
            let dropped = scratch, dP = scratch + tt
            let blas = OpenBLAS.shared
            let pUsed = geometry.droppedProbabilities(pBH, bh: bh, into: dropped)
            // dV_bh (T,D) += dropout(P)ᵀ (T,T) · dOut_bh (T,D)
            blas.sgemm(transposeA: true, transposeB: false, m: t, n: d, k: t,
                       a: pUsed, lda: t, b: pd + offset, ldb: c, beta: betaV, c: dv + offset, ldc: c)
            // d(dropout(P)) (T,T) = dOut_bh (T,D) · V_bhᵀ (D,T)
            blas.sgemm(transposeA: false, transposeB: true, m: t, n: t, k: d,
                       a: pd + offset, lda: c, b: pv + offset, ldb: c, c: dP, ldc: t)
            // dP = d(dropout(P)) · keep / (1 - p): the same mask again
            if let keep = geometry.keep {
                bk_apply_mask(dP, dP, keep.pointer + bh * tt, 1 / (1 - geometry.dropout), 0, 0, tt)
            }
            // dScores = P ⊙ (dP - rowsum(dP ⊙ P)), in place in dP (the mask is a constant)
            bk_softmax_backward_rows(pBH, dP, t, 0, t)
            // dQ_bh (T,D) += dScores (T,T) · K_bh (T,D) / √D
            blas.sgemm(transposeA: false, transposeB: false, m: t, n: d, k: t, alpha: scaleFactor,
                       a: dP, lda: t, b: pk + offset, ldb: c, beta: betaQ, c: dq + offset, ldc: c)
            // dK_bh (T,D) += dScoresᵀ (T,T) · Q_bh (T,D) / √D
            blas.sgemm(transposeA: true, transposeB: false, m: t, n: d, k: t, alpha: scaleFactor,
                       a: dP, lda: t, b: pq + offset, ldb: c, beta: betaK, c: dk + offset, ldc: c)
        }
    }
}
