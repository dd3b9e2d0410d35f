import Foundation

/// A 64-byte aligned block of Floats that a `Tensor` owns (or shares, for reshaped views).
/// A class because identity matters: a view and its base share one storage.
public final class TensorStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` floats, zero-filled unless `zeroed` is false (then the caller writes them all).
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative tensor size")
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        if zeroed {
            raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        } else {
            raw.bindMemory(to: Float.self, capacity: max(count, 1))
        }
        pointer = raw.assumingMemoryBound(to: Float.self)
        self.count = count
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
