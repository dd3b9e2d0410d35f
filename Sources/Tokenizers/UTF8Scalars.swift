/// Gives `body` the Unicode scalars of `text` as UInt32 values in a temporary buffer: one pass
/// over the UTF-8 bytes with an ASCII fast path, no String or Character made per scalar.
@inline(__always)
func withScalars<R>(of text: String, _ body: (UnsafeBufferPointer<UInt32>) -> R) -> R {
    let byteCount = text.utf8.count
    return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(byteCount, 1)) { buffer in
        let decoded: Int? = text.utf8.withContiguousStorageIfAvailable { bytes in
            decodeUTF8(bytes, into: buffer)
        }
        var count = decoded ?? 0
        if decoded == nil {
            // A bridged string without contiguous UTF-8: take the slower standard path.
            for scalar in text.unicodeScalars {
                buffer[count] = scalar.value
                count += 1
            }
        }
        return body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
    }
}

/// Decodes valid UTF-8 (a Swift String's bytes always are) and returns the scalar count.
@inline(__always)
private func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt32>) -> Int {
    var i = 0, n = 0
    let end = bytes.count
    while i < end {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 {
            out[n] = b0
            i += 1
        } else if b0 < 0xE0 {
            out[n] = (b0 & 0x1F) << 6 | (UInt32(bytes[i + 1]) & 0x3F)
            i += 2
        } else if b0 < 0xF0 {
            out[n] = (b0 & 0x0F) << 12 | (UInt32(bytes[i + 1]) & 0x3F) << 6 | (UInt32(bytes[i + 2]) & 0x3F)
            i += 3
        } else {
            out[n] = (b0 & 0x07) << 18 | (UInt32(bytes[i + 1]) & 0x3F) << 12 | (UInt32(bytes[i + 2]) & 0x3F) << 6
                | (UInt32(bytes[i + 3]) & 0x3F)
            i += 4
        }
        n += 1
    }
    return n
}
