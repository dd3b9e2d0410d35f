import Foundation
import TaskFile

// Byte-level helpers shared by the readers. Files are read whole as bytes and split by the readers
// themselves, so that a bad line is reported by number instead of Foundation rejecting (or
// silently repairing) the whole file, and so that no per-character Strings are ever built.

enum DatasetBytes {
    static let newline: UInt8 = 0x0A     // \n
    static let carriageReturn: UInt8 = 0x0D
    static let tab: UInt8 = 0x09
    static let comma: UInt8 = 0x2C
    static let quote: UInt8 = 0x22

    /// The file's bytes; a missing file or a directory is a `DatasetError`.
    static func contents(of url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DatasetError.fileNotFound(path: url.path)
        }
        if isDirectory.boolValue {
            throw DatasetError.unreadableFile(path: url.path, reason: "it is a directory")
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw DatasetError.unreadableFile(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Where the content starts: after a UTF-8 byte order mark, if the file has one.
    static func contentStart(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return 3 }
        return 0
    }

    /// The offset of the next `\n` at or after `start`, or `bytes.count` when there is none.
    static func nextNewline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, Int32(newline), bytes.count - start) else { return bytes.count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Throws `invalidUTF8` naming the line of the first bad byte in `range`, which starts on
    /// line `firstLine` (a csv record can span lines).
    static func validateUTF8(_ range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>,
                             firstLine: Int, path: String) throws {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        guard let bad = YAMLSourceBytes.firstInvalidUTF8Offset(in: slice) else { return }
        let newlinesBefore = slice[..<bad].reduce(0) { $0 + ($1 == newline ? 1 : 0) }
        throw DatasetError.invalidUTF8(path: path, line: firstLine + newlinesBefore)
    }

    /// The bytes as a String; callers validate first, so nothing is ever replaced.
    static func string(_ range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
