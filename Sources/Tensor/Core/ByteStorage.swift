/// A buffer of bytes an op keeps between its forward and backward (dropout keep masks).
public final class ByteStorage {
    public let pointer: UnsafeMutablePointer<UInt8>
    public let count: Int

    public init(count: Int) {
        pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1))
        self.count = count
    }

    deinit { pointer.deallocate() }
}
