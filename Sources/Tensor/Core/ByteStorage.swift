/// A buffer of bytes an op keeps between its forward and backward (dropout keep masks).
/// Large ones come from BufferPool like tensor buffers.
public final class ByteStorage {
    public let pointer: UnsafeMutablePointer<UInt8>
    public let count: Int
    private let allocatedBytes: Int

    public init(count: Int) {
        let (raw, bytes) = BufferPool.allocate(bytes: max(count, 1))
        pointer = raw.bindMemory(to: UInt8.self, capacity: bytes)
        self.count = count
        allocatedBytes = bytes
    }

    deinit { BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: allocatedBytes) }
}
