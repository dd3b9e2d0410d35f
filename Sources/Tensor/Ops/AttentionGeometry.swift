import CKernels
import Dispatch

/// One (sequence, head) pair of an attention call.
struct AttentionPair {
    /// s·H + h.
    let index: Int
    let sequence: Int
    /// The sequence's token count L.
    let length: Int
    /// The pair's (L, D) blocks start at row `row`, column `column` (h·D) of q, k, v and out.
    let row: Int
    let column: Int
    /// Where its (L, L) block starts in the saved probabilities and the keep mask.
    let block: Int
}

/// Where each sequence and head of one attention call lives, and its dropout stream position.
/// The probabilities of every pair are stored one block after another: pair (s, h) at
/// blockStart[s] + h·L_s², element (i, j) at + i·L_s + j. That flat index is also the Philox
/// index of the element's dropout bit, so in the padded layout (every L = T) pair bh's element
/// (i, j) is (bh·T + i)·T + j.
struct AttentionGeometry {
    let heads: Int, headSize: Int
    let sequenceStarts: [Int]
    let sequenceLengths: [Int]
    let blockStarts: [Int]
    /// Σ_s H·L_s²: the size of the saved probabilities and of the keep mask.
    let blockElements: Int
    let longest: Int
    /// The padded layout's (B, T) additive mask; nil when packed (no padding to mask).
    let mask: Tensor?
    private(set) var dropout: Float = 0
    private(set) var dropoutKey: UInt64 = 0
    private(set) var dropoutStart: UInt64 = 0
    /// One keep byte per probability when dropout is on.
    private(set) var keep: ByteStorage?

    init(layout: AttentionLayout, rows: Int, heads: Int, headSize: Int) {
        self.heads = heads
        self.headSize = headSize
        switch layout {
        case .padded(let b, let additiveMask):
            let t = b > 0 ? rows / b : 0
            precondition(b * t == rows, "attention: \(rows) rows do not split into \(b) sequences")
            precondition(additiveMask.count == rows, "attention: mask \(additiveMask.shape) for batch \(b) x \(t) tokens")
            sequenceLengths = Array(repeating: t, count: b)
            mask = additiveMask
        case .packed(let lengths):
            precondition(lengths.allSatisfy { $0 >= 0 } && lengths.reduce(0, +) == rows,
                         "attention: sequence lengths \(lengths) do not add up to \(rows) rows")
            sequenceLengths = lengths
            mask = nil
        }
        var starts = [Int](), blocks = [Int](), row = 0, block = 0
        for length in sequenceLengths {
            starts.append(row)
            blocks.append(block)
            row += length
            block += heads * length * length
        }
        sequenceStarts = starts
        blockStarts = blocks
        blockElements = block
        longest = sequenceLengths.max() ?? 0
    }

    var pairCount: Int { sequenceLengths.count * heads }

    func pair(_ index: Int) -> AttentionPair {
        let s = index / heads, h = index % heads, l = sequenceLengths[s]
        return AttentionPair(index: index, sequence: s, length: l, row: sequenceStarts[s], column: h * headSize,
                             block: blockStarts[s] + h * l * l)
    }

    /// The additive mask over the pair's keys, or nil (packed: every key is a token).
    func maskRow(_ pair: AttentionPair) -> UnsafeMutablePointer<Float>? {
        mask.map { $0.data + sequenceStarts[pair.sequence] }
    }

    mutating func enableDropout(_ p: Float, key: UInt64, start: UInt64) {
        dropout = p
        dropoutKey = key
        dropoutStart = start
        keep = ByteStorage(count: blockElements)
    }

    /// What a kept probability is multiplied by: 1 / (1 - p).
    private var keepScale: Float { 1 / (1 - dropout) }

    /// Asks the CPU for the pair's saved probabilities and keep mask ahead of the backward's use.
    func prefetchSaved(_ pair: AttentionPair, probabilities: UnsafePointer<Float>) {
        let ll = pair.length * pair.length
        bk_prefetch_rows(probabilities + pair.block, 0, 1, ll * MemoryLayout<Float>.stride, 0)
        if let keep { bk_prefetch_rows(keep.pointer + pair.block, 0, 1, ll, 0) }
    }

    /// P with dropout applied (written to `scratch`), or P itself when dropout is off.
    func droppedProbabilities(_ p: UnsafeMutablePointer<Float>, _ pair: AttentionPair, into scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        guard let keep else { return p }
        bk_apply_mask(p, scratch, keep.pointer + pair.block, keepScale, 0, 0, pair.length * pair.length)
        return scratch
    }

    /// The pair's scores (in `p`) become P = softmax(scores + mask) in place; returns what
    /// multiplies V: P, or with dropout P·keep/(1 - p) written to `scratch` (the pair's keep
    /// mask drawn here, once: the backward reads it again).
    func probabilities(_ p: UnsafeMutablePointer<Float>, _ pair: AttentionPair, droppedInto scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        let l = pair.length
        guard let keep else {
            bk_softmax_rows(p, maskRow(pair), l, 0, l)
            return p
        }
        bk_dropout_mask(keep.pointer + pair.block, dropoutKey, dropoutStart, pair.block, dropout, 0, l * l)
        bk_softmax_dropout_rows(p, maskRow(pair), keep.pointer + pair.block, keepScale, scratch, l, 0, l)
        return scratch
    }

    /// d(dropped P) in `g` becomes d(scores) in place: through dropout's mask (when on), then
    /// the softmax, P being the pair's saved probabilities (the mask is a constant).
    func scoresGradient(_ g: UnsafeMutablePointer<Float>, probabilities p: UnsafePointer<Float>, _ pair: AttentionPair) {
        let l = pair.length
        if let keep {
            bk_softmax_dropout_backward_rows(p, g, keep.pointer + pair.block, keepScale, l, 0, l)
        } else {
            bk_softmax_backward_rows(p, g, l, 0, l)
        }
    }

    /// Runs `body(pair, next, scratch)` for every (sequence, head) pair with at least one token,
    /// the pairs split over the engine's threads in contiguous runs of about equal work (Σ L²),
    /// each thread with its own scratch: `scratchBuffers` (L, L) blocks and after them room
    /// for `headBlocks` (L, D) blocks (a transposed K or V, packed copies of q, k, v or dOut).
    /// `next` is the pair the same thread runs after this one (nil after its last), whose blocks
    /// the body can prefetch. Every pair writes only its own blocks, so the split does not
    /// change a single bit of the result.
    func forEachPair(scratchBuffers: Int, headBlocks: Int,
                     _ body: (AttentionPair, _ next: AttentionPair?, UnsafeMutablePointer<Float>) -> Void) {
        let pairs = pairCount
        guard pairs > 0, longest > 0 else { return }
        let workers = Parallel.blockCount(pairs, minimumBlock: 1)
        let cost = (0..<pairs).map { sequenceLengths[$0 / heads] * sequenceLengths[$0 / heads] }
        let size = scratchBuffers * longest * longest + headBlocks * longest * headSize
        let scratch = Tensor(uninitialized: [workers * size])
        Parallel.forEachBlock(.balanced(costs: cost, blocks: workers)) { w, assigned in
            let own = scratch.data + w * size
            let run = assigned.filter { sequenceLengths[$0 / heads] > 0 }.map(pair)
            for (position, current) in run.enumerated() {
                body(current, position + 1 < run.count ? run[position + 1] : nil, own)
            }
        }
    }
}
