/// Everything that can be wrong with a safetensors file, or with a request to read or write one.
/// Each message names the file and, where there is one, the tensor.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    /// Fewer than the 8 bytes of the header length.
    case fileTooShort(path: String, size: Int)
    /// The header length is beyond `SafeTensorsHeader.maxHeaderLength` (100 MB, as the reference).
    case headerTooLarge(path: String, headerLength: UInt64, limit: Int)
    /// 8 + header length is past the end of the file.
    case headerPastEndOfFile(path: String, headerLength: UInt64, fileSize: Int)
    /// `byteOffset` counts from the start of the file.
    case headerNotUTF8(path: String, byteOffset: Int)
    case invalidJSON(path: String, byteOffset: Int, reason: String)
    case headerNotObject(path: String)
    case invalidMetadata(path: String, reason: String)
    case duplicateTensor(path: String, tensor: String)
    case missingKey(path: String, tensor: String, key: String)
    /// A key holds the wrong kind of value (shape not a list of non-negative integers, ...).
    case invalidEntry(path: String, tensor: String, key: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    /// `end < begin` in data_offsets.
    case reversedOffsets(path: String, tensor: String, begin: UInt64, end: UInt64)
    /// data_offsets reach past the data section (offsets are relative to its start).
    case offsetsOutOfBounds(path: String, tensor: String, begin: UInt64, end: UInt64, dataSize: Int)
    case overlappingTensors(path: String, tensor: String, other: String)
    /// shape element count x dtype size != end - begin. `expected` is nil when the product overflows.
    case byteLengthMismatch(path: String, tensor: String, shape: [Int], dtype: SafeTensorsDType,
                            expected: Int?, actual: Int)
    /// An empty tensor (a zero dimension) whose other dimensions multiply past Int.max.
    case shapeTooLarge(path: String, tensor: String, shape: [Int])
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's dtype cannot be read as the kind asked for (`wanted`: "Float32", "Int32", ...).
    case unsupportedConversion(path: String, tensor: String, dtype: SafeTensorsDType, wanted: String)
    /// An integer value that does not fit the requested integer type.
    case integerOutOfRange(path: String, tensor: String, index: Int, wanted: String)
    /// Writer: a name used twice, or the reserved `__metadata__`.
    case invalidTensorName(path: String, tensor: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open safetensors file: \(reason)"
        case let .fileTooShort(path, size):
            return "\(path): not a safetensors file: \(size) bytes, shorter than the 8-byte header length"
        case let .headerTooLarge(path, length, limit):
            return "\(path): safetensors header length \(length) bytes exceeds the limit of \(limit) bytes"
        case let .headerPastEndOfFile(path, length, size):
            return "\(path): safetensors header length \(length) bytes runs past the end of the \(size)-byte file"
        case let .headerNotUTF8(path, offset):
            return "\(path): safetensors header is not valid UTF-8 (byte \(offset) of the file)"
        case let .invalidJSON(path, offset, reason):
            return "\(path): safetensors header is not valid JSON at byte \(offset) of the file: \(reason)"
        case let .headerNotObject(path):
            return "\(path): safetensors header is not a JSON object"
        case let .invalidMetadata(path, reason):
            return "\(path): __metadata__ \(reason)"
        case let .duplicateTensor(path, tensor):
            return "\(path): tensor '\(tensor)' appears twice in the header"
        case let .missingKey(path, tensor, key):
            return "\(path): tensor '\(tensor)' has no \"\(key)\" key"
        case let .invalidEntry(path, tensor, key, reason):
            return "\(path): tensor '\(tensor)': \"\(key)\" \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype \"\(dtype)\""
        case let .reversedOffsets(path, tensor, begin, end):
            return "\(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] with end before begin"
        case let .offsetsOutOfBounds(path, tensor, begin, end, dataSize):
            return "\(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] outside the \(dataSize)-byte data section"
        case let .overlappingTensors(path, tensor, other):
            return "\(path): tensor '\(tensor)' overlaps tensor '\(other)' in the data section"
        case let .byteLengthMismatch(path, tensor, shape, dtype, expected, actual):
            let want = expected.map { "\($0) bytes" } ?? "more bytes than can be addressed"
            return "\(path): tensor '\(tensor)' of shape \(shape) and dtype \(dtype.rawValue) needs \(want), "
                + "but its data_offsets span \(actual) bytes"
        case let .shapeTooLarge(path, tensor, shape):
            return "\(path): tensor '\(tensor)' has shape \(shape), whose non-zero dimensions multiply past a 64-bit count"
        case let .tensorNotFound(path, tensor):
            return "\(path): no tensor named '\(tensor)'"
        case let .unsupportedConversion(path, tensor, dtype, wanted):
            return "\(path): tensor '\(tensor)' has dtype \(dtype.rawValue), which cannot be read as \(wanted)"
        case let .integerOutOfRange(path, tensor, index, wanted):
            return "\(path): tensor '\(tensor)' element \(index) does not fit in \(wanted)"
        case let .invalidTensorName(path, tensor, reason):
            return "\(path): cannot write tensor '\(tensor)': \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write safetensors file: \(reason)"
        }
    }
}
