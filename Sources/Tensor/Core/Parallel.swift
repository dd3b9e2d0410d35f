import Dispatch

/// Splits element-wise and per-row work across the cores in fixed chunks, so that every result
/// is the same whatever the thread timing (a chunk's boundaries never depend on the schedule).
public enum Parallel {
    /// Every core: the engine's worker count unless a command or task asks for another.
    public static let defaultThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Worker count for the engine's own loops (not OpenBLAS's); set by `--threads` and a task's
    /// `threads`. Unsafe, and sound as used: it is set only between tasks or commands, on the
    /// thread that drives them, while no parallel loop runs; the loops only read it.
    nonisolated(unsafe) public static var threadCount = defaultThreadCount

    /// Chunks per worker in `forEachRange`.
    @usableFromInline static let chunksPerWorker = 4

    /// Calls `body` on consecutive ranges covering `0..<count`. Below `minimumChunk` items per
    /// worker the work stays on the calling thread.
    @inlinable
    public static func forEachRange(_ count: Int, minimumChunk: Int = 4096, _ body: (Range<Int>) -> Void) {
        let workers = blockCount(count, minimumBlock: minimumChunk)
        if workers == 1 {
            if count > 0 { body(0..<count) }
            return
        }
        // Several chunks per worker, taken in turn: a worker that wakes late or runs slow (a busy
        // neighbour on the host) then leaves its share to the others, instead of the whole op
        // waiting for its half
        let chunks = min(workers * chunksPerWorker, count / max(minimumChunk, 1))
        forEachBlock(.even(count, blocks: chunks)) { _, range in body(range) }
    }

    /// How many threads share `count` items when each is to get at least `minimumBlock` of
    /// them: at most `threads`, at least 1.
    @inlinable
    public static func blockCount(_ count: Int, minimumBlock: Int, threads: Int = threadCount) -> Int {
        max(1, min(threads, count / max(1, minimumBlock)))
    }

    /// `body(block, range)` for every block of `split` with at least one item, the blocks at
    /// once on the engine's threads (`forkJoin`). Each block writes its own memory: which thread
    /// computes what is the split's, fixed by the sizes, never by the schedule.
    @inlinable
    public static func forEachBlock(_ split: Split, _ body: (_ block: Int, _ range: Range<Int>) -> Void) {
        forkJoin(split.blocks) { block in
            let range = split.range(ofBlock: block)
            if !range.isEmpty { body(block, range) }
        }
    }

    /// The engine's one fork-join: `body(i)` for every i in `0..<iterations`, on the calling
    /// thread and Dispatch's workers at once, returning when all have finished. Every parallel
    /// loop of the engine (the ranges above, layer norm's row chunks, attention's runs of pairs,
    /// the GEMM row blocks) goes through it, by `forEachBlock` over a `Split` decided from the
    /// sizes and the thread count only, never from timing, and each iteration writes its own
    /// memory: that is what makes results the same bits on every run.
    public static func forkJoin(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 1 {
            if iterations == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = ForkJoinBody(run: body)
            DispatchQueue.concurrentPerform(iterations: iterations) { shared.run($0) }
        }
    }
}

/// A fork-join's body, handed to Dispatch's threads. Unchecked, and sound: concurrentPerform
/// returns only after every iteration has run, so the closure and everything it captures outlive
/// all its calls, and the iterations write disjoint memory (each caller's comment says which).
private struct ForkJoinBody: @unchecked Sendable {
    let run: (Int) -> Void
}

import Foundation
