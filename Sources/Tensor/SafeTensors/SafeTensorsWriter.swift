import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing safetensors files (F32 only: BertKit's tensors are Float32).
public enum SafeTensors {
    /// Writes `tensors` as F32 to `url`, atomically: into a temporary file in the same folder,
    /// flushed, then renamed over `url`, so a reader never sees half a file.
    ///
    /// The output is deterministic, the same bytes for the same input whatever its order:
    /// - header JSON, compact: "__metadata__" first (keys sorted, omitted when nil or empty), then
    ///   the tensors sorted by name (UTF-8 byte order), each {"dtype","shape","data_offsets"};
    /// - header padded with spaces to a multiple of 8 bytes, as the reference implementation does,
    ///   so the data section starts 8-byte aligned;
    /// - data laid out in the same sorted order, back to back.
    /// For F32 tensors this is the layout the reference implementation writes.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]? = nil,
                             to url: URL) throws {
        let path = url.path
        let sorted = try sortedForWriting(tensors, path: path)
        let header = headerBytes(sorted, metadata: metadata ?? [:])
        try writeAtomically(to: path) { sink in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink($0) }
            try header.withUnsafeBytes { try sink($0) }
            for (_, tensor) in sorted {
                #if _endian(little)
                try sink(UnsafeRawBufferPointer(start: tensor.data, count: tensor.count * MemoryLayout<Float>.size))
                #else
                let littleEndian = tensor.values.map { $0.bitPattern.littleEndian }
                try littleEndian.withUnsafeBytes { try sink($0) }
                #endif
            }
        }
    }

    private static func sortedForWriting(_ tensors: [(name: String, tensor: Tensor)], path: String) throws
        -> [(name: String, tensor: Tensor)] {
        var seen = Set<String>()
        for (name, _) in tensors {
            if name == SafeTensorsHeader.metadataKey {
                throw SafeTensorsError.invalidTensorName(path: path, tensor: name, reason: "the name is reserved for metadata")
            }
            guard seen.insert(name).inserted else {
                throw SafeTensorsError.invalidTensorName(path: path, tensor: name, reason: "the name is used twice")
            }
        }
        return tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// The JSON header, padded with spaces to a multiple of 8 bytes.
    static func headerBytes(_ sorted: [(name: String, tensor: Tensor)], metadata: [String: String]) -> [UInt8] {
        var json = "{"
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.append("\(jsonString(SafeTensorsHeader.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in sorted {
            let end = offset + tensor.count * MemoryLayout<Float>.size
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += entries.joined(separator: ",") + "}"
        var bytes = Array(json.utf8)
        bytes += repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8)
        return bytes
    }

    /// A JSON string literal: quote, backslash and control characters escaped, the rest raw UTF-8.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Runs `produce` with a sink that appends bytes to a temporary file beside `path`, then
    /// fsyncs and renames it to `path`. The temporary file is removed on any failure.
    private static func writeAtomically(to path: String,
                                        _ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SafeTensorsError.writeFailed(path: path, reason: "cannot create \(temporary): \(MappedFile.lastError())") }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }
        try produce { bytes in
            var remaining = bytes
            while !remaining.isEmpty {
                let written = systemWrite(fd, remaining.baseAddress, remaining.count)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SafeTensorsError.writeFailed(path: path, reason: "write to \(temporary): \(MappedFile.lastError())")
                }
                remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
            }
        }
        guard fsync(fd) == 0 else { throw SafeTensorsError.writeFailed(path: path, reason: "fsync: \(MappedFile.lastError())") }
        closed = true
        guard close(fd) == 0 else { throw SafeTensorsError.writeFailed(path: path, reason: "close: \(MappedFile.lastError())") }
        guard rename(temporary, path) == 0 else {
            throw SafeTensorsError.writeFailed(path: path, reason: "rename from \(temporary): \(MappedFile.lastError())")
        }
        renamed = true
    }
}

/// POSIX write(2), named apart from `SafeTensors.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
