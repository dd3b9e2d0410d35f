import CKernels
import Dispatch

/// How a batch's sequences lie in the (rows, C) matrices that attention reads.
public enum AttentionLayout {
    /// B sequences of T rows each (sequence b's token t is row b·T + t), with the (B, T) additive
    /// padding mask: 0 for tokens to attend to, a large negative for padding (added to every
    /// query's scores for that key, as transformers' extended attention mask).
    case padded(batch: Int, additiveMask: Tensor)
    /// Sequences of the given lengths one after another, no padding rows: every row attends to
    /// the rows of its own sequence only. For real tokens this is `padded` without the work on
    /// padding (exp of the mask's large negative is exactly 0 in fp32).
    case packed(sequenceLengths: [Int])
}

/// Fused multi-head self-attention, softmax(Q·Kᵀ/√D + mask)·V per sequence and head:
///   q, k, v are (B·T, C) with C = H·D (head h owns columns h·D ..< (h+1)·D);
///   additiveMask is (B, T): 0 for tokens to attend to, a large negative for padding;
///   out is (B·T, C), the heads' outputs side by side (ready for the output projection).
public func attention(query q: Tensor, key k: Tensor, value v: Tensor, additiveMask: Tensor,
                      batch b: Int, heads h: Int,
                      dropout p: Float = 0, training: Bool = false, stream: inout RandomStream) -> Tensor {
    attention(query: q, key: k, value: v, layout: .padded(batch: b, additiveMask: additiveMask), heads: h,
              dropout: p, training: training, stream: &stream)
}

/// Fused multi-head self-attention over the sequences of `layout` (see `AttentionLayout`), q, k
/// and v given as three (rows, C) tensors.
public func attention(query q: Tensor, key k: Tensor, value v: Tensor, layout: AttentionLayout, heads h: Int,
                      dropout p: Float = 0, training: Bool = false, stream: inout RandomStream) -> Tensor {
    precondition(k.shape == q.shape && v.shape == q.shape, "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
    return attention(.separate(q, k, v), layout: layout, heads: h, dropout: p, training: training, stream: &stream)
}

/// The same with q, k and v side by side in one (rows, 3C) tensor, [q | k | v] in each row: what
/// one GEMM over the three projections' concatenated weights gives (`concatenatedLinear`).
public func attention(qkv: Tensor, layout: AttentionLayout, heads h: Int,
                      dropout p: Float = 0, training: Bool = false, stream: inout RandomStream) -> Tensor {
    precondition(qkv.shape.last! % 3 == 0, "attention: qkv \(qkv.shape) is not three blocks of columns")
    return attention(.concatenated(qkv), layout: layout, heads: h, dropout: p, training: training, stream: &stream)
}

/// Where attention reads q, k and v.
enum AttentionInputs {
    /// Three (rows, C) tensors.
    case separate(Tensor, Tensor, Tensor)
    /// One (rows, 3C) tensor: q in columns 0..<C, k in C..<2C, v in 2C..<3C.
    case concatenated(Tensor)

    var tensors: [Tensor] {
        switch self {
        case .separate(let q, let k, let v): return [q, k, v]
        case .concatenated(let qkv): return [qkv]
        }
    }

    /// C, the width of each of q, k, v.
    var channels: Int {
        switch self {
        case .separate(let q, _, _): return q.shape.last!
        case .concatenated(let qkv): return qkv.shape.last! / 3
        }
    }

    /// The distance between two rows of q (and of k, of v).
    var rowStride: Int {
        switch self {
        case .separate: return channels
        case .concatenated: return 3 * channels
        }
    }

    var rows: Int { tensors[0].count / rowStride }

    typealias Pointers = (q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>)

    /// The inputs as the attention op recorded them (`tensors`).
    init(recorded tensors: [Tensor]) {
        self = tensors.count == 1 ? .concatenated(tensors[0]) : .separate(tensors[0], tensors[1], tensors[2])
    }

    var pointers: Pointers {
        switch self {
        case .separate(let q, let k, let v): return (q.data, k.data, v.data)
        case .concatenated(let qkv): return blocks(of: qkv.data)
        }
    }

    /// Where the backward writes dq, dk, dv (laid out as q, k, v) and the GEMM beta of each:
    /// 0 over a fresh gradient, 1 to add. (When one tensor is passed as two of q, k, v, its
    /// blocks receive two contributions: all of them add.)
    func gradients() -> (pointers: Pointers, beta: (q: Float, k: Float, v: Float)) {
        switch self {
        case .concatenated(let qkv):
            let (g, beta) = qkv.gradientDestination()
            return (blocks(of: g.data), (beta, beta, beta))
        case .separate(let q, let k, let v):
            let distinct = q !== k && k !== v && q !== v
            let (gq, bq) = distinct ? q.gradientDestination() : (q.gradBuffer(), 1)
            let (gk, bk) = distinct ? k.gradientDestination() : (k.gradBuffer(), 1)
            let (gv, bv) = distinct ? v.gradientDestination() : (v.gradBuffer(), 1)
            return ((gq.data, gk.data, gv.data), (bq, bk, bv))
        }
    }

    /// Asks the CPU for the pair's (L, D) blocks of q, k and v (laid out as these inputs are)
    /// ahead of their use, for reading or for writing (a hint only).
    func prefetch(_ pair: AttentionPair, headSize d: Int, of blocks: Pointers, forWrite: Bool = false) {
        let offset = pair.row * rowStride + pair.column
        prefetchRows(blocks.q + offset, rowStride: rowStride, rows: pair.length, columns: d, forWrite: forWrite)
        prefetchRows(blocks.k + offset, rowStride: rowStride, rows: pair.length, columns: d, forWrite: forWrite)
        prefetchRows(blocks.v + offset, rowStride: rowStride, rows: pair.length, columns: d, forWrite: forWrite)
    }

    /// The q, k, v column blocks of a (rows, 3C) matrix.
    private func blocks(of base: UnsafeMutablePointer<Float>) -> Pointers {
        (base, base + channels, base + 2 * channels)
    }
}

/// Attention-probability dropout is applied inside, with the same Philox scheme as `dropout`.
/// Saves the probabilities P (an (L, L) block per sequence and head, before dropout) and the
/// keep mask (a byte each).
///
/// The (sequence, head) pairs are independent: they are spread over the cores, each computing
/// its own pair's products with `bk_small_gemm` (CKernels/small_gemm.c; OpenBLAS, called per
/// pair, ran them well below its large-GEMM rate: BENCHMARKS.md, sitting 4).
/// A product's (L, D) operand is packed first (`bk_copy_block`, a transpose for Kᵀ and Vᵀ):
/// in place, its rows 3C floats apart fall on a quarter of the L1's sets. While a pair
/// computes, the next pair's blocks are prefetched. Neither changes a value.
func attention(_ inputs: AttentionInputs, layout: AttentionLayout, heads h: Int,
               dropout p: Float, training: Bool, stream: inout RandomStream) -> Tensor {
    Profiler.measure(.attention) {
        let c = inputs.channels, rows = inputs.rows, d = c / h, ld = inputs.rowStride
        precondition(c == h * d, "attention: \(c) channels for \(h) heads")
        var geometry = AttentionGeometry(layout: layout, rows: rows, heads: h, headSize: d)
        let useDropout = training && p > 0
        if useDropout { geometry.enableDropout(p, key: stream.key, start: stream.reserve(blocks: (geometry.blockElements + 3) / 4)) }
        let out = Tensor(uninitialized: [rows, c])
        // The probabilities are kept for the backward only when there will be one; otherwise
        // each pair's (L, L) block lives in its thread's scratch (in cache) and is dropped.
        let keepProbabilities = Autograd.needsGraph(inputs.tensors)
        let probs = keepProbabilities ? Tensor(uninitialized: [geometry.blockElements]) : nil
        let (pq, pk, pv) = inputs.pointers, po = out.data
        let geo = geometry
        let bf16 = Precision.current == .bf16
        geo.forEachPair(scratchBuffers: 2, headBlocks: bf16 ? 3 : 2) { pair, next, scratch in
            if let next { inputs.prefetch(next, headSize: d, of: (pq, pk, pv)) }
            let l = pair.length, input = pair.row * ld + pair.column, output = pair.row * c + pair.column
            let pBH = probs.map { $0.data + pair.block } ?? scratch + l * l
            let kT = scratch + 2 * l * l, vPacked = kT + l * d
            // scores (L,L) = Q_bh (L,D) · K_bhᵀ (D,L) / √D, Kᵀ laid out (D, L) first
            bk_transpose(pk + input, ld, l, d, kT)
            if bf16 {
                let qPacked = vPacked + l * d
                bk_copy_block(pq + input, ld, l, d, qPacked)
                roundToBF16(qPacked, l * d)
                roundToBF16(kT, l * d)
                bk_small_gemm(bk_small_gemm_args(m: l, n: l, k: d, alpha: 1 / Float(d).squareRoot(), a: qPacked, a_row: d, a_col: 1,
                                                 b: kT, ldb: l, beta: 0, c: pBH, ldc: l))
            } else {
                bk_small_gemm(bk_small_gemm_args(m: l, n: l, k: d, alpha: 1 / Float(d).squareRoot(), a: pq + input, a_row: ld, a_col: 1,
                                                 b: kT, ldb: l, beta: 0, c: pBH, ldc: l))
            }
            // P = softmax over keys of scores + mask, in place; dropout(P) beside it
            var pUsed = geo.probabilities(pBH, pair, droppedInto: scratch)
            // out_bh (L,D) = dropout(P) (L,L) · V_bh (L,D), V_bh packed first
            bk_copy_block(pv + input, ld, l, d, vPacked)
            if bf16 {
                pUsed = bf16Copy(pUsed, l * l, in: scratch)
                roundToBF16(vPacked, l * d)
            }
            bk_small_gemm(bk_small_gemm_args(m: l, n: d, k: l, alpha: 1, a: pUsed, a_row: l, a_col: 1,
                                             b: vPacked, ldb: d, beta: 0, c: po + output, ldc: c))
        }
        guard let probs else { return out }
        return Autograd.record(AttentionOp(geometry: geo, probabilities: probs), inputs: inputs.tensors, output: out)
    }
}

/// A prefetch hint for `rows` rows of `columns` floats, `rowStride` floats apart.
func prefetchRows(_ base: UnsafePointer<Float>, rowStride: Int, rows: Int, columns: Int, forWrite: Bool = false) {
    bk_prefetch_rows(base, rowStride * MemoryLayout<Float>.stride, rows, columns * MemoryLayout<Float>.stride,
                     forWrite ? 1 : 0)
}

struct AttentionOp: BackwardOp {
    var category: Profiler.Category { .attention }
    let geometry: AttentionGeometry
    /// Softmax probabilities before dropout, an (L, L) block per pair.
    let probabilities: Tensor
    var name: String { "attention" }

    func backward(gradOutput dOut: Tensor, inputs: [Tensor], output: Tensor) {
        let h = geometry.heads, d = geometry.headSize, c = h * d
        let scaleFactor = 1 / Float(d).squareRoot()
        // Each pair writes only its own (L, D) blocks of dq, dk, dv, once each: no two threads touch
        // the same element, and a fresh gradient is overwritten (beta 0) rather than zeroed first.
        let source = AttentionInputs(recorded: inputs)
        let ld = source.rowStride, (pq, pk, pv) = source.pointers
        let ((dq, dk, dv), (betaQ, betaK, betaV)) = source.gradients()
        let pd = dOut.data, pp = probabilities.data
        let geometry = geometry
        let bf16 = Precision.current == .bf16
        geometry.forEachPair(scratchBuffers: 2, headBlocks: 4) { pair, next, scratch in
            if let next {
                source.prefetch(next, headSize: d, of: (pq, pk, pv))
                source.prefetch(next, headSize: d, of: (dq, dk, dv), forWrite: true)
                prefetchRows(pd + next.row * c + next.column, rowStride: c, rows: next.length, columns: d)
                geometry.prefetchSaved(next, probabilities: pp)
            }
            let l = pair.length, ll = l * l
            let input = pair.row * ld + pair.column, output = pair.row * c + pair.column
            let pBH = pp + pair.block
            let dropped = scratch, dP = scratch + ll, vT = scratch + 2 * ll
            let dOutPacked = vT + l * d, kPacked = dOutPacked + l * d, qPacked = kPacked + l * d
            var pUsed = geometry.droppedProbabilities(pBH, pair, into: dropped)
            // dV_bh (L,D) += dropout(P)ᵀ (L,L) · dOut_bh (L,D), dOut_bh packed first
            bk_copy_block(pd + output, c, l, d, dOutPacked)
            if bf16 {
                pUsed = bf16Copy(pUsed, ll, in: dropped)
                roundToBF16(dOutPacked, l * d)
            }
            bk_small_gemm(bk_small_gemm_args(m: l, n: d, k: l, alpha: 1, a: pUsed, a_row: 1, a_col: l,
                                             b: dOutPacked, ldb: d, beta: betaV, c: dv + input, ldc: ld))
            // d(dropout(P)) (L,L) = dOut_bh (L,D) · V_bhᵀ (D,L), Vᵀ laid out (D, L) first
            bk_transpose(pv + input, ld, l, d, vT)
            if bf16 { roundToBF16(vT, l * d) }
            bk_small_gemm(bk_small_gemm_args(m: l, n: l, k: d, alpha: 1, a: dOutPacked, a_row: d, a_col: 1,
                                             b: vT, ldb: l, beta: 0, c: dP, ldc: l))
            // dP = d(dropout(P)) · keep / (1 - p), the same mask again, then
            // dScores = P ⊙ (dP - rowsum(dP ⊙ P)), in place in dP
            geometry.scoresGradient(dP, probabilities: pBH, pair)
            // dQ_bh (L,D) += dScores (L,L) · K_bh (L,D) / √D, K_bh packed first
            bk_copy_block(pk + input, ld, l, d, kPacked)
            if bf16 {
                roundToBF16(dP, ll)
                roundToBF16(kPacked, l * d)
            }
            bk_small_gemm(bk_small_gemm_args(m: l, n: d, k: l, alpha: scaleFactor, a: dP, a_row: l, a_col: 1,
                                             b: kPacked, ldb: d, beta: betaQ, c: dq + input, ldc: ld))
            // dK_bh (L,D) += dScoresᵀ (L,L) · Q_bh (L,D) / √D, Q_bh packed first
            bk_copy_block(pq + input, ld, l, d, qPacked)
            if bf16 { roundToBF16(qPacked, l * d) }
            bk_small_gemm(bk_small_gemm_args(m: l, n: d, k: l, alpha: scaleFactor, a: dP, a_row: 1, a_col: l,
                                             b: qPacked, ldb: d, beta: betaK, c: dk + input, ldc: ld))
        }
    }
}

// bf16 precision: each product's two operands are rounded to bf16 values (kept in float32, so
// the fp32 kernels multiply them: the product of two bf16 values is exact in float32, and the
// sums accumulate in float32, as a bf16 GEMM's do). Every operand is a packed copy the pair owns,
// except the probabilities, which the backward still needs unrounded: they are copied first.

/// Rounds `count` floats in place to the nearest bf16 values, on the calling thread: this runs
/// inside attention's own workers, one pair's small block at a time.
@inline(__always)
private func roundToBF16(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
    bk_round_bf16_values(x, count)
}

/// `x` rounded to bf16 values in `scratch` (copied there first unless it is there already).
private func bf16Copy(_ x: UnsafeMutablePointer<Float>, _ count: Int, in scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
    if x != scratch { scratch.update(from: x, count: count) }
    roundToBF16(scratch, count)
    return scratch
}
