/// Arrays copied into buffers that keep their address until this object is released. A C
/// kernel's argument struct stores pointers, which an array lends only for the length of one
/// closure (`withUnsafeBufferPointer`); the tests pin what they pass and read the results back.
final class PinnedArrays {
    private var buffers: [UnsafeMutableRawPointer] = []

    /// A buffer holding `values` (trivial elements: released without deinitialising).
    func pin<Element: BitwiseCopyable>(_ values: [Element]) -> UnsafeMutablePointer<Element> {
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(1, values.count))
        pointer.initialize(from: values, count: values.count)
        buffers.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// The first `count` values of a pinned buffer.
    func read<Element>(_ pointer: UnsafePointer<Element>, count: Int) -> [Element] {
        Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }
}
