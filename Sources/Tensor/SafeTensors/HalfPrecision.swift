/// Exact widening of the two 16-bit float formats to Float32, by bit manipulation (no Float16
/// type: it is missing on some platforms, and the rules are short enough to state here).

/// IEEE 754 binary16 -> binary32. Every half value is exactly representable as a float, so this
/// never rounds. Layout: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
@inline(__always)
public func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    var mantissa = UInt32(h) & 0x3FF
    let bits: UInt32
    if exponent == 0x1F {
        // inf (mantissa 0) or NaN: keep the payload, quiet bit included, in the top mantissa bits.
        bits = sign | 0x7F80_0000 | (mantissa << 13)
    } else if exponent != 0 {
        // normal: rebias 15 -> 127.
        bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13)
    } else if mantissa == 0 {
        bits = sign  // +0 or -0
    } else {
        // subnormal: value = mantissa * 2^-24. Shift the leading 1 up to the implicit-bit position
        // (bit 10), lowering the exponent once per shift; a normal float holds it exactly.
        var floatExponent: UInt32 = 127 - 15 + 1
        while mantissa & 0x400 == 0 {
            mantissa <<= 1
            floatExponent -= 1
        }
        bits = sign | (floatExponent << 23) | ((mantissa & 0x3FF) << 13)
    }
    return Float(bitPattern: bits)
}

/// bfloat16 -> binary32: bfloat16 is the top half of a float, so widening is a shift.
@inline(__always)
public func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}
