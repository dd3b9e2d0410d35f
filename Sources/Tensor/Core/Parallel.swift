import Dispatch

/// Splits element-wise and per-row work across the cores in fixed chunks, so that every result
/// is the same whatever the thread timing (a chunk's boundaries never depend on the schedule).
public enum Parallel {
    /// Every core: the engine's worker count unless a command or task asks for another.
    public static let defaultThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Worker count for the engine's own loops (not OpenBLAS's); set by `--threads` and a task's
    /// `threads`.
    nonisolated(unsafe) public static var threadCount = defaultThreadCount

    /// Chunks per worker in `forEachRange`.
    @usableFromInline static let chunksPerWorker = 4

    /// Calls `body` on consecutive ranges covering `0..<count`. Below `minimumChunk` items per
    /// worker the work stays on the calling thread.
    @inlinable
    public static func forEachRange(_ count: Int, minimumChunk: Int = 4096, _ body: (Range<Int>) -> Void) {
        let fullChunks = count / max(minimumChunk, 1)
        let workers = min(threadCount, fullChunks)
        if workers <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        // Several chunks per worker, taken in turn: a worker that wakes late or runs slow (a busy
        // neighbour on the host) then leaves its share to the others, instead of the whole op
        // waiting for its half
        let chunks = min(workers * chunksPerWorker, fullChunks)
        let chunk = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { w in
            let start = w * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}

import Foundation
