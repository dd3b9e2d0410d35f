import Foundation

/// A safetensors file opened for reading: memory-mapped, header parsed and validated on open, so
/// that every later read stays inside the file. Tensors are copied out of the mapping (a `Tensor`
/// owns its storage), widened to Float32 where needed.
///
///     let file = try SafeTensorsFile(contentsOf: url)
///     let weight = try file.tensor(named: "embeddings.word_embeddings.weight")  // [30522, 384]
public final class SafeTensorsFile {
    public let path: String
    public let header: SafeTensorsHeader
    /// File offset of the data section (8 + header length); data_offsets count from here.
    public let dataStart: Int
    private let mapping: MappedFile
    private let indexByName: [String: Int]

    public convenience init(contentsOf url: URL) throws {
        try self.init(path: url.path)
    }

    public init(path: String) throws {
        self.path = path
        mapping = try MappedFile(path: path)
        let fileSize = mapping.size
        guard fileSize >= 8, let base = mapping.base else {
            throw SafeTensorsError.fileTooShort(path: path, size: fileSize)
        }
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(SafeTensorsHeader.maxHeaderLength) else {
            throw SafeTensorsError.headerTooLarge(path: path, headerLength: headerLength, limit: SafeTensorsHeader.maxHeaderLength)
        }
        guard headerLength <= UInt64(fileSize - 8) else {
            throw SafeTensorsError.headerPastEndOfFile(path: path, headerLength: headerLength, fileSize: fileSize)
        }
        dataStart = 8 + Int(headerLength)
        header = try SafeTensorsHeader(json: mapping.bytes(8..<dataStart), dataSize: fileSize - dataStart, path: path)
        indexByName = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($0.element.name, $0.offset) })
    }

    /// Tensor names in the order of their data in the file (for files written by the safetensors
    /// library or by `SafeTensors.write`, also the header order).
    public var names: [String] { header.tensors.map(\.name) }
    public var tensorInfos: [SafeTensorInfo] { header.tensors }
    /// The "__metadata__" object ([:] when absent).
    public var metadata: [String: String] { header.metadata }

    public func contains(_ name: String) -> Bool { indexByName[name] != nil }

    /// The values of all the tensors together: the most parameters a model read from this file
    /// can have. (Each tensor has at most as many values as bytes, so the sum fits an Int.)
    public var totalElementCount: Int { header.tensors.reduce(0) { $0 + $1.elementCount } }

    public func info(named name: String) throws -> SafeTensorInfo {
        guard let index = indexByName[name] else { throw SafeTensorsError.tensorNotFound(path: path, tensor: name) }
        return header.tensors[index]
    }

    private func rawBytes(_ info: SafeTensorInfo) -> UnsafeRawBufferPointer {
        // header validation put dataOffsets inside the file, so base is non-nil and the range valid.
        UnsafeRawBufferPointer(start: mapping.base! + dataStart + info.dataOffsets.lowerBound, count: info.byteCount)
    }

    /// An F32, F16 or BF16 tensor as Float32 (exact: both 16-bit formats widen without rounding).
    public func tensor(named name: String) throws -> Tensor {
        let info = try info(named: name)
        guard info.dtype.isWidenableFloat else {
            throw SafeTensorsError.unsupportedConversion(path: path, tensor: name, dtype: info.dtype, wanted: "Float32")
        }
        let tensor = Tensor(zeros: info.shape)
        let source = rawBytes(info)
        let out = tensor.data
        switch info.dtype {
        case .f32:
            #if _endian(little)
            if let base = source.baseAddress { UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: source.count) }
            #else
            for i in 0..<info.elementCount { out[i] = Float(bitPattern: source.loadLittleEndian(i, as: UInt32.self)) }
            #endif
        case .f16:
            for i in 0..<info.elementCount { out[i] = floatFromHalfBits(source.loadLittleEndian(i, as: UInt16.self)) }
        case .bf16:
            for i in 0..<info.elementCount { out[i] = floatFromBFloat16Bits(source.loadLittleEndian(i, as: UInt16.self)) }
        default:
            preconditionFailure("isWidenableFloat admitted \(info.dtype)")
        }
        return tensor
    }

    /// An integer tensor (any of I8...I64, U8...U64) as Int64, row-major.
    public func int64Values(named name: String) throws -> [Int64] {
        let info = try info(named: name)
        let source = rawBytes(info)
        let n = info.elementCount
        switch info.dtype {
        case .i64: return (0..<n).map { source.loadLittleEndian($0, as: Int64.self) }
        case .i32: return (0..<n).map { Int64(source.loadLittleEndian($0, as: Int32.self)) }
        case .i16: return (0..<n).map { Int64(source.loadLittleEndian($0, as: Int16.self)) }
        case .i8: return (0..<n).map { Int64(source.loadLittleEndian($0, as: Int8.self)) }
        case .u32: return (0..<n).map { Int64(source.loadLittleEndian($0, as: UInt32.self)) }
        case .u16: return (0..<n).map { Int64(source.loadLittleEndian($0, as: UInt16.self)) }
        case .u8: return (0..<n).map { Int64(source.loadLittleEndian($0, as: UInt8.self)) }
        case .u64:
            return try (0..<n).map { i in
                let value = source.loadLittleEndian(i, as: UInt64.self)
                guard let exact = Int64(exactly: value) else {
                    throw SafeTensorsError.integerOutOfRange(path: path, tensor: name, index: i, wanted: "Int64")
                }
                return exact
            }
        default:
            throw SafeTensorsError.unsupportedConversion(path: path, tensor: name, dtype: info.dtype, wanted: "Int64")
        }
    }

    /// An integer tensor as Int32 (BertKit keeps ids as Int32); throws if a value does not fit, so
    /// an I64 file of token ids reads fine and a corrupt one does not wrap silently.
    public func int32Values(named name: String) throws -> [Int32] {
        let info = try info(named: name)
        guard info.dtype.isInteger else {
            throw SafeTensorsError.unsupportedConversion(path: path, tensor: name, dtype: info.dtype, wanted: "Int32")
        }
        return try int64Values(named: name).enumerated().map { i, value in
            guard let exact = Int32(exactly: value) else {
                throw SafeTensorsError.integerOutOfRange(path: path, tensor: name, index: i, wanted: "Int32")
            }
            return exact
        }
    }

    /// Every F32/F16/BF16 tensor as Float32, keyed by name. Integer tensors are skipped unless
    /// `includeIntegers`, in which case they are converted to Float32 too (throwing if a value
    /// is beyond 2^24, where Float32 stops being exact). Other dtypes (BOOL, F8_*, F64) throw.
    public func allFloatTensors(includeIntegers: Bool = false) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for info in header.tensors {
            if info.dtype.isWidenableFloat {
                result[info.name] = try tensor(named: info.name)
            } else if info.dtype.isInteger {
                guard includeIntegers else { continue }
                let exactLimit: Int64 = 1 << 24
                let values = try int64Values(named: info.name).enumerated().map { i, value -> Float in
                    guard abs(value) <= exactLimit else {
                        throw SafeTensorsError.integerOutOfRange(path: path, tensor: info.name, index: i, wanted: "Float32 exactly")
                    }
                    return Float(value)
                }
                result[info.name] = Tensor(shape: info.shape, values: values)
            } else {
                throw SafeTensorsError.unsupportedConversion(path: path, tensor: info.name, dtype: info.dtype, wanted: "Float32")
            }
        }
        return result
    }
}

extension UnsafeRawBufferPointer {
    /// Element `index` of a little-endian array of `T`, at any alignment (the data section starts
    /// at 8 + header length, which other writers do not always pad to a multiple of 8).
    @inline(__always)
    func loadLittleEndian<T: FixedWidthInteger>(_ index: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
    }
}
