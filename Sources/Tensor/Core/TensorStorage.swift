import Foundation
import CKernels

/// Keeps freed tensor buffers in malloc's heap instead of returning them to the kernel: by
/// default glibc maps every block over 128 KiB afresh (and the kernel zero-fills it page by page
/// on first touch), which for the same few dozen buffer sizes every training step is pure waste.
/// 32 MiB is glibc's largest allowed threshold on 64-bit.
private let allocatorConfigured: Bool = {
    bk_configure_allocator()
    return true
}()

/// A 64-byte aligned block of Floats that a `Tensor` owns (or shares, for reshaped views).
/// A class because identity matters: a view and its base share one storage.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    /// Bytes behind `pointer` (BufferPool may round the request up).
    let allocatedBytes: Int

    /// Allocates `count` floats, zero-filled unless `zeroed` is false (then the caller writes them all).
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative tensor size")
        _ = allocatorConfigured
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let (raw, allocatedBytes) = BufferPool.allocate(bytes: bytes)
        if zeroed {
            raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        } else {
            raw.bindMemory(to: Float.self, capacity: max(count, 1))
        }
        pointer = raw.assumingMemoryBound(to: Float.self)
        self.count = count
        self.allocatedBytes = allocatedBytes
    }

    deinit { BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: allocatedBytes) }
}
