/// How one sgemm is spread over the cores.
///
/// On these 2-core machines OpenBLAS's own threading of BERT's tall GEMMs varies with the host's
/// load from minute to minute, while one single-threaded call per core on its own block of C
/// stays close to twice the single-threaded rate (BENCHMARKS.md, sitting 7). Each element of C still sums over the whole k in the library's order,
/// so the blocks give the bits of one single-threaded call (tested), whatever the thread count.
/// (OpenBLAS's own two-thread call does not always: a weight gradient over a few hundred tokens
/// came out differently from its one-thread call.)
public enum GemmThreading: String, Codable, Sendable {
    /// Large GEMMs in blocks of C, one single-threaded OpenBLAS call per engine thread.
    case split
    /// Every GEMM one call, threaded by OpenBLAS (the library as it loads: the peer's GEMM reference).
    case library
}

enum GemmSplit {
    enum Plan: Equatable {
        /// One single-threaded call on the calling thread: too small to share.
        case callingThread
        /// One call threaded by OpenBLAS: too few rows to cut into blocks that run well.
        case library
        /// One single-threaded call per block of rows of C, on the engine's threads: the blocks of
        /// `Parallel.Split.aligned(m, blocks: count, alignment:)`, edges at the multiple of the
        /// alignment nearest to the equal split.
        case rowBlocks(count: Int)
    }

    /// Below this many multiply-adds a GEMM stays on the calling thread: waking a second thread
    /// costs more than it saves.
    static let minimumWork = 1 << 21

    /// A C with fewer rows than this is not cut: each block packs all of op(B) itself, which a
    /// short block does not repay (batch-1 inference, 128 rows, ran as fast threaded by OpenBLAS).
    static let minimumLength = 512

    /// Block edges fall on multiples of the kernel's alignment. OpenBLAS computes C in register
    /// tiles and finishes a side that is not a whole number of tiles with narrower ones, which
    /// may sum in another order; an edge on a tile boundary puts every element of C in the same
    /// kind of tile as in the whole call. With OpenBLAS 0.3.21 the Haswell and Zen kernels tile the
    /// rows of C by 12 (an edge off a multiple of 12 changed some elements' bits, tested in
    /// GemmSplitTests); the Cooperlake, SkylakeX and Sandybridge kernels gave
    /// the same bits at any edge, so their edges only need to split evenly (16 halves 2,048 and
    /// 4,096 exactly). For a kernel not measured, 48: a multiple of every tile width up to 16,
    /// and of 12 and 24. A coarse alignment costs balance: 48 cuts 2,048 rows into 1,008 + 1,040,
    /// and the first core idles for the difference (BENCHMARKS.md, sitting 8).
    static func alignment(forKernel kernel: String) -> Int {
        switch kernel.lowercased() {
        case "cooperlake", "skylakex", "sandybridge": return 16
        case "haswell", "zen": return 12
        default: return 48
        }
    }

    /// How `threads` threads compute C[m x n] = op(A)·op(B): by blocks of rows of C. Each block
    /// reads its own rows of op(A) and all of op(B), as the forward x·Wᵀ, the input gradient dy·W
    /// and the weight gradient dyᵀ·x of a wide layer do. (Cutting columns instead gave other bits
    /// than the whole call with the Haswell kernel, and no speed on these shapes.)
    static func plan(m: Int, n: Int, k: Int, threads: Int, alignment: Int) -> Plan {
        if m * n * k < minimumWork || threads == 1 { return .callingThread }
        if m < minimumLength { return .library }
        return .rowBlocks(count: Parallel.blockCount(m, minimumBlock: alignment, threads: threads))
    }
}
