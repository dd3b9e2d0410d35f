import Foundation

/// Recycles large tensor buffers by exact size. A training or inference step allocates the same
/// few dozen large buffers (activations of every layer) again and again; glibc maps blocks over
/// 32 MiB afresh each time, and the kernel then zero-fills them page by page on first touch. The
/// pool hands a freed buffer of the same size back instead: no system call, no page fault.
/// Small buffers go to malloc as usual. Thread-safe (a lock); bounded in total bytes.
enum BufferPool {
    /// Buffers at least this large are pooled (1 MiB).
    static let minimumBytes = 1 << 20
    /// At most this many bytes wait in the pool; beyond, freed buffers go back to the system.
    static let capacityBytes = 1 << 30

    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var pooledBytes = 0
    private static let lock = NSLock()

    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        if bytes >= minimumBytes {
            lock.lock()
            let reused = free[bytes]?.popLast()
            if reused != nil { pooledBytes -= bytes }
            lock.unlock()
            if let reused { return reused }
        }
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= minimumBytes {
            lock.lock()
            if pooledBytes + bytes <= capacityBytes {
                free[bytes, default: []].append(pointer)
                pooledBytes += bytes
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }
}
