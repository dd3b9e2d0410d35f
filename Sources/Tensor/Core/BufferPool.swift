import Foundation

/// Recycles large tensor buffers. A training step allocates the same few dozen large buffers
/// (every layer's activations) again and again; a fresh large block costs a system call and a
/// kernel zero-fill of every page on first touch, a large share of a step at long sequences
/// (BENCHMARKS.md, sitting 2). The pool hands back a freed buffer instead.
///
/// Fine-tuning pads each batch to its own longest sequence, so sizes change from step to step:
/// buffers are kept by size class (sizes rounded up to 2^k·{1, 1.25, 1.5, 1.75}, at most 25%
/// larger than asked), and a request takes a free buffer of its own class. (Lending larger
/// classes to smaller requests was tried: buffers then drift upwards from class to class and the
/// peak grows: BENCHMARKS.md, sitting 2.)
/// Bytes in use plus bytes waiting in the pool stay within the largest working set seen (the
/// peak of pooled bytes in use) plus an eighth: when sizes change, the buffers of the classes asked for longest
/// ago are freed first, so the pool neither grows memory beyond what a step already needed nor
/// keeps an earlier phase's sizes while this phase's buffers go back to the system (they had:
/// every step then page-faulted its largest buffers afresh).
/// Small buffers go to malloc as usual. Thread-safe (a lock).
enum BufferPool {
    /// Buffers at least this large are pooled (1 MiB).
    static let minimumBytes = 1 << 20
    /// The pool may always hold this much, however small the working set.
    static let minimumCapacityBytes = 256 << 20

    /// The process's pool, which every `TensorStorage` uses.
    static let shared = Pool(minimumCapacityBytes: minimumCapacityBytes)

    /// The bytes actually allocated for a request of `bytes`: its size class when pooled.
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes >= minimumBytes else { return bytes }
        let power = Int.bitWidth - 1 - bytes.leadingZeroBitCount   // 2^power <= bytes
        let quarter = 1 << (power - 2)
        return (bytes + quarter - 1) / quarter * quarter
    }

    /// A buffer of at least `bytes`; `release` it with the returned size.
    static func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int) { shared.allocate(bytes: bytes) }

    /// Takes back a buffer from `allocate` (`bytes` as it returned).
    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) { shared.release(pointer, bytes: bytes) }

    /// The pool's state and policy; one shared instance, others in tests. Unchecked Sendable:
    /// every access to the mutable state below holds `lock`.
    final class Pool: @unchecked Sendable {
        let minimumCapacityBytes: Int
        private var free: [Int: [UnsafeMutableRawPointer]] = [:]
        private(set) var pooledBytes = 0
        private(set) var inUseBytes = 0
        private var peakInUseBytes = 0
        /// The request count when each size class was last asked for: eviction frees the class
        /// asked for longest ago first (the sizes of an earlier phase, e.g. the GEMM rate
        /// measurement before a benchmark, or batch shapes no longer seen).
        private var lastRequest: [Int: Int] = [:]
        private var requests = 0
        private let lock = NSLock()

        /// How a buffer goes back to the system: `deallocate`, or a test's pool counting them.
        private let giveBack: @Sendable (UnsafeMutableRawPointer) -> Void

        init(minimumCapacityBytes: Int,
             giveBack: @escaping @Sendable (UnsafeMutableRawPointer) -> Void = { $0.deallocate() }) {
            self.minimumCapacityBytes = minimumCapacityBytes
            self.giveBack = giveBack
        }

        /// A pool that goes away (the tests' own) frees what it still holds; the buffers in use
        /// are their owners' to release. (The shared pool lives as long as the process.)
        deinit {
            for pointer in free.values.joined() { giveBack(pointer) }
        }

        func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int) {
            let wanted = BufferPool.sizeClass(bytes)
            guard wanted >= BufferPool.minimumBytes else {
                return (UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 64), wanted)
            }
            lock.lock()
            defer { lock.unlock() }
            requests += 1
            lastRequest[wanted] = requests
            if let reused = free[wanted]?.popLast() {
                pooledBytes -= wanted
                noteInUse(wanted)
                return (reused, wanted)
            }
            noteInUse(wanted)
            _ = evict(toFit: 0, sparing: wanted)
            return (UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 64), wanted)
        }

        func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
            if bytes >= BufferPool.minimumBytes {
                lock.lock()
                inUseBytes -= bytes
                // a buffer just used is likely wanted again: make room by freeing buffers of
                // classes asked for longer ago, not of its own class
                if evict(toFit: bytes, sparing: bytes) {
                    free[bytes, default: []].append(pointer)
                    pooledBytes += bytes
                    lock.unlock()
                    return
                }
                lock.unlock()
            }
            giveBack(pointer)
        }

        /// Frees pooled buffers, the least recently requested class first (never class
        /// `sparing`), until in-use plus pooled plus `incoming` bytes fit the limit. Whether they
        /// fit in the end. Called with the lock held.
        private func evict(toFit incoming: Int, sparing: Int) -> Bool {
            while inUseBytes + pooledBytes + incoming > limitBytes {
                let candidates = free.filter { $0.key != sparing && !$0.value.isEmpty }.keys
                guard let size = candidates.min(by: { lastRequest[$0, default: 0] < lastRequest[$1, default: 0] }),
                      let pointer = free[size]?.popLast() else { return false }
                pooledBytes -= size
                giveBack(pointer)
            }
            return true
        }

        /// In-use plus pooled bytes stay within this: the peak working set plus an eighth (or the
        /// minimum capacity). The eighth is for what a cycle of work keeps for later while its
        /// earlier buffers are still in use: in bert-base inference, the next layer's two
        /// (4096, 3072) buffers wait in the pool while this layer's attention runs, above the
        /// peak in use; without the room one of them went back to the system and was faulted in
        /// afresh (zeroed page by page) in every layer of every step (BENCHMARKS.md, sitting 3).
        var limitBytes: Int { max(minimumCapacityBytes, peakInUseBytes + peakInUseBytes / 8) }

        private func noteInUse(_ bytes: Int) {
            inUseBytes += bytes
            peakInUseBytes = max(peakInUseBytes, inUseBytes)
        }
    }
}
