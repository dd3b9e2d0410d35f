/// One tensor as its header entry describes it, after validation.
public struct SafeTensorInfo: Equatable, Sendable {
    public let name: String
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    /// data_offsets: byte range relative to the start of the data section (just after the header).
    public let dataOffsets: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { dataOffsets.count }
}

/// The parsed and validated JSON header of a safetensors file.
///
/// Layout of the file: [u64 little-endian N][N bytes of UTF-8 JSON][data section]. The JSON maps
/// each tensor name to {"dtype", "shape", "data_offsets"}, plus an optional "__metadata__" object
/// of string -> string.
public struct SafeTensorsHeader: Sendable {
    /// The reference implementation refuses headers larger than this; so do we.
    public static let maxHeaderLength = 100_000_000
    static let metadataKey = "__metadata__"

    /// In data order (by begin offset; header order among tensors that start at the same byte).
    public let tensors: [SafeTensorInfo]
    public let metadata: [String: String]

    /// Validates `json` (the N header bytes) against a data section of `dataSize` bytes.
    /// `path` only labels errors; `headerStart` is the file offset of `json`, for error offsets.
    init(json: [UInt8], dataSize: Int, path: String, headerStart: Int = 8) throws {
        if let bad = firstInvalidUTF8Offset(json) {
            throw SafeTensorsError.headerNotUTF8(path: path, byteOffset: headerStart + bad)
        }
        let root: HeaderJSON
        do {
            root = try HeaderJSONParser.parse(json)
        } catch let error as HeaderJSONError {
            throw SafeTensorsError.invalidJSON(path: path, byteOffset: headerStart + error.offset, reason: error.reason)
        }
        guard case .object(let members) = root else { throw SafeTensorsError.headerNotObject(path: path) }

        var metadata: [String: String] = [:]
        var tensors: [SafeTensorInfo] = []
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else {
                throw SafeTensorsError.duplicateTensor(path: path, tensor: name)
            }
            if name == SafeTensorsHeader.metadataKey {
                metadata = try SafeTensorsHeader.parseMetadata(value, path: path)
            } else {
                tensors.append(try SafeTensorsHeader.parseEntry(name: name, value: value, dataSize: dataSize, path: path))
            }
        }
        // Stable sort: ties keep header order.
        let ordered = tensors.enumerated()
            .sorted { ($0.element.dataOffsets.lowerBound, $0.offset) < ($1.element.dataOffsets.lowerBound, $1.offset) }
            .map(\.element)
        try SafeTensorsHeader.checkNoOverlap(ordered, path: path)
        self.tensors = ordered
        self.metadata = metadata
    }

    private static func parseMetadata(_ value: HeaderJSON, path: String) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw SafeTensorsError.invalidMetadata(path: path, reason: "is \(value.kindName), not an object")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in members {
            guard case .string(let text) = entry else {
                throw SafeTensorsError.invalidMetadata(path: path, reason: "key \"\(key)\" holds \(entry.kindName), not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError.invalidMetadata(path: path, reason: "key \"\(key)\" appears twice")
            }
        }
        return metadata
    }

    private static func parseEntry(name: String, value: HeaderJSON, dataSize: Int, path: String) throws -> SafeTensorInfo {
        guard case .object(let members) = value else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, key: name, reason: "is \(value.kindName), not an object")
        }
        func field(_ key: String) throws -> HeaderJSON {
            guard let found = members.first(where: { $0.key == key }) else {
                throw SafeTensorsError.missingKey(path: path, tensor: name, key: key)
            }
            return found.value
        }
        let dtypeValue = try field("dtype"), shapeValue = try field("shape"), offsetsValue = try field("data_offsets")

        guard case .string(let dtypeName) = dtypeValue else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, key: "dtype", reason: "is \(dtypeValue.kindName), not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }

        let shape = try dimensions(shapeValue, tensor: name, path: path)

        guard case .array(let offsets) = offsetsValue, offsets.count == 2,
              case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1]
        else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, key: "data_offsets",
                                                reason: "is not a list of two non-negative integers")
        }
        guard end >= begin else {
            throw SafeTensorsError.reversedOffsets(path: path, tensor: name, begin: begin, end: end)
        }
        guard end <= UInt64(dataSize) else {
            throw SafeTensorsError.offsetsOutOfBounds(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        let range = Int(begin)..<Int(end)

        var expected: Int? = dtype.byteSize
        for dim in shape {
            guard let soFar = expected else { break }
            let (product, overflow) = soFar.multipliedReportingOverflow(by: dim)
            expected = overflow ? nil : product
        }
        if shape.contains(0) {
            // an empty tensor holds no bytes whatever the rest, but its other dimensions must
            // still multiply within an Int: shape arithmetic (Tensor.elementCount) traps past it
            guard productFits(shape.filter { $0 != 0 }) else {
                throw SafeTensorsError.shapeTooLarge(path: path, tensor: name, shape: shape)
            }
            expected = 0
        }
        guard expected == range.count else {
            throw SafeTensorsError.byteLengthMismatch(path: path, tensor: name, shape: shape, dtype: dtype,
                                                      expected: expected, actual: range.count)
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: range)
    }

    /// "shape": a JSON list of non-negative integers that each fit an Int.
    private static func dimensions(_ value: HeaderJSON, tensor: String, path: String) throws -> [Int] {
        func invalid(_ reason: String) -> SafeTensorsError {
            .invalidEntry(path: path, tensor: tensor, key: "shape", reason: reason)
        }
        guard case .array(let elements) = value else { throw invalid("is not a list of non-negative integers") }
        var result: [Int] = []
        for element in elements {
            switch element {
            case .integer(let n) where n <= UInt64(Int.max):
                result.append(Int(n))
            case .integer(let n):
                throw invalid("has dimension \(n), more than a 64-bit signed integer holds")
            case .number(let d) where d >= 0x1p63:
                // written past UInt64 (2^64 and up), so the parser kept it as a Double
                throw invalid("has dimension \(d), more than a 64-bit signed integer holds")
            default:
                throw invalid("is not a list of non-negative integers")
            }
        }
        return result
    }

    private static func productFits(_ factors: [Int]) -> Bool {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            if overflow { return false }
            product = next
        }
        return true
    }

    /// `tensors` sorted by begin offset. Empty tensors occupy no bytes and overlap nothing.
    /// Gaps between tensors are allowed (the reference implementation refuses them; nothing here
    /// depends on their absence, and a reader should accept what it can read safely).
    private static func checkNoOverlap(_ tensors: [SafeTensorInfo], path: String) throws {
        var furthest: SafeTensorInfo?
        for info in tensors where !info.dataOffsets.isEmpty {
            if let previous = furthest, info.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
                throw SafeTensorsError.overlappingTensors(path: path, tensor: info.name, other: previous.name)
            }
            if furthest == nil || info.dataOffsets.upperBound > furthest!.dataOffsets.upperBound { furthest = info }
        }
    }
}
