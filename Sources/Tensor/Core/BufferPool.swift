import Foundation

/// Recycles large tensor buffers. A training step allocates the same few dozen large buffers
/// (every layer's activations) again and again; a fresh large block costs a system call and a
/// kernel zero-fill of every page on first touch, which at sequence length 384 was a sixth of the
/// step. The pool hands back a freed buffer instead.
///
/// Fine-tuning pads each batch to its own longest sequence, so sizes change from step to step:
/// buffers are kept by size class (sizes rounded up to 2^k·{1, 1.25, 1.5, 1.75}, at most 25%
/// larger than asked), and a request takes a free buffer of its own class. (Lending larger
/// classes to smaller requests was tried: buffers then drift upwards from class to class and the
/// peak grows: bert-base's training step peaked at 3,689 MiB with lending, 3,528 without.)
/// Bytes in use plus bytes waiting in the pool stay within the largest working set seen (the
/// peak of pooled bytes in use): when sizes change, buffers that fit nothing are freed, so the
/// pool does not grow memory beyond what a step already needed.
/// Small buffers go to malloc as usual. Thread-safe (a lock).
enum BufferPool {
    /// Buffers at least this large are pooled (1 MiB).
    static let minimumBytes = 1 << 20
    /// The pool may always hold this much, however small the working set.
    static let minimumCapacityBytes = 256 << 20

    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var pooledBytes = 0
    nonisolated(unsafe) private static var inUseBytes = 0
    nonisolated(unsafe) private static var peakInUseBytes = 0
    private static let lock = NSLock()

    /// The bytes actually allocated for a request of `bytes`: its size class when pooled.
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes >= minimumBytes else { return bytes }
        let power = Int.bitWidth - 1 - bytes.leadingZeroBitCount   // 2^power <= bytes
        let quarter = 1 << (power - 2)
        return (bytes + quarter - 1) / quarter * quarter
    }

    /// A buffer of at least `bytes`; `release` it with the returned size.
    static func allocate(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int) {
        let wanted = sizeClass(bytes)
        guard wanted >= minimumBytes else {
            return (UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 64), wanted)
        }
        lock.lock()
        defer { lock.unlock() }
        if let reused = free[wanted]?.popLast() {
            pooledBytes -= wanted
            noteInUse(wanted)
            return (reused, wanted)
        }
        noteInUse(wanted)
        evictBeyondPeak()
        return (UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 64), wanted)
    }

    /// Frees pooled buffers while what is in use plus what waits in the pool exceeds the peak
    /// working set: a buffer that fits no request of this step (its sizes changed) should not
    /// hold memory beside the new ones. Called with the lock held.
    private static func evictBeyondPeak() {
        while pooledBytes > 0, inUseBytes + pooledBytes > limitBytes,
              let size = free.first(where: { !$0.value.isEmpty })?.key,
              let pointer = free[size]?.popLast() {
            pooledBytes -= size
            pointer.deallocate()
        }
    }

    /// Takes back a buffer from `allocate` (`bytes` as it returned).
    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= minimumBytes {
            lock.lock()
            inUseBytes -= bytes
            if inUseBytes + pooledBytes + bytes <= limitBytes {
                free[bytes, default: []].append(pointer)
                pooledBytes += bytes
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }

    /// In-use plus pooled bytes stay within this: the peak working set (or the minimum capacity).
    private static var limitBytes: Int { max(minimumCapacityBytes, peakInUseBytes) }

    private static func noteInUse(_ bytes: Int) {
        inUseBytes += bytes
        peakInUseBytes = max(peakInUseBytes, inUseBytes)
    }
}
