import CKernels

/// bfloat16 rounding as torch's `.to(torch.bfloat16)` (round to nearest even, NaN -> 0x7FC0).
///
/// A bf16 value is the top half of a float32: the same sign and 8-bit exponent, 7 fraction bits.
/// Rounding adds 0x7FFF plus the lowest kept bit to the float's 32 bits and keeps the top 16,
/// exactly as c10::BFloat16 does, so a tie goes to the even neighbour, a carry moves into the
/// exponent (the largest finite floats become infinity), infinities stay and subnormals round
/// like everything else. The scalar functions are the reference; the buffer ones run the C
/// kernels (bf16.c), split over the cores when large, with the same bits.
public enum BFloat16 {
    /// Elements per worker below which a buffer is rounded on the calling thread: rounding is a
    /// few integer operations per element, so a small buffer is done before a worker wakes.
    static let minimumChunk = 32768

    /// The bf16 bits nearest `x` (ties to even); every NaN gives 0x7FC0.
    @inlinable
    public static func round(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let u = x.bitPattern
        return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
    }

    /// The float whose top half is `bits` (exact).
    @inlinable
    public static func float(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// out[i] = round(x[i]) for i in 0..<count.
    public static func round(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<UInt16>) {
        Parallel.forEachRange(count, minimumChunk: minimumChunk) { range in
            bk_round_bf16(x + range.lowerBound, out + range.lowerBound, range.count)
        }
    }

    /// out, a dense (rows, columns) matrix, = the rounding of the (rows, columns) matrix `x`
    /// whose rows start `rowStride` floats apart.
    public static func round(_ x: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int,
                             into out: UnsafeMutablePointer<UInt16>) {
        precondition(rowStride >= columns || rows <= 1, "BFloat16.round: row stride \(rowStride) below \(columns) columns")
        Parallel.forEachRange(rows, minimumChunk: max(1, minimumChunk / max(columns, 1))) { range in
            bk_round_bf16_matrix(x + range.lowerBound * rowStride, range.count, columns, rowStride,
                                 out + range.lowerBound * columns)
        }
    }
}
