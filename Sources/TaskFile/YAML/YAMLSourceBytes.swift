// Byte-level facts about the input that libyaml does not report with a line and column:
// the first invalid UTF-8 sequence, and the line/column of a byte offset (libyaml's reader errors
// carry only an offset).

public enum YAMLSourceBytes {
    /// The offset of the first byte that does not start a well-formed UTF-8 sequence, or nil if
    /// all of `bytes` is UTF-8. Overlong forms, surrogates and values above U+10FFFF are invalid.
    public static func firstInvalidUTF8Offset(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            // (sequence length, allowed range of the second byte); later bytes are always 80...BF.
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0x00...0x7F: index += 1; continue
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF          // no overlong 3-byte forms
            case 0xED: length = 3; second = 0x80...0x9F          // no UTF-16 surrogates
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xF0: length = 4; second = 0x90...0xBF          // no overlong 4-byte forms
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F          // nothing above U+10FFFF
            default: return index                                // 80...C1, F5...FF never lead
            }
            guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return index }
            for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
                return index
            }
            index += length
        }
        return nil
    }

    /// The 1-based line and column of `offset`, counting columns in Unicode scalars as libyaml
    /// does (a byte that is not a UTF-8 continuation byte starts a new column). Line breaks are
    /// LF, CR LF and a lone CR.
    static func lineAndColumn(ofOffset offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var index = 0
        while index < min(offset, bytes.count) {
            let byte = bytes[index]
            if byte == 0x0A || (byte == 0x0D && (index + 1 >= bytes.count || bytes[index + 1] != 0x0A)) {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 && byte != 0x0D {
                column += 1
            }
            index += 1
        }
        return (line, column)
    }
}
