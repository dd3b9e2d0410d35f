#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Appends one JSON object per line to a file (`train_log.jsonl`), with sorted keys and
/// non-finite numbers as `null`. Each line goes to the file in a single write(2) on an
/// O_APPEND descriptor, with no buffering in between, so `tail -f` shows it at once and a
/// crash leaves only whole lines (short of a full disk).
public final class JSONLinesWriter {
    public let url: URL
    private var fd: Int32

    /// Opens `url` for appending, creating it (and its folder) if missing.
    /// `truncate` empties an existing file first: a fresh run, not a resumed one.
    public init(url: URL, truncate: Bool = false) throws {
        self.url = url
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError.systemCall(call: "create folder", path: folder.path, reason: FileSync.reason(of: error))
        }
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        fd = open(url.path, flags, 0o644)
        guard fd >= 0 else { throw OutputError.systemCall(call: "open", path: url.path, reason: FileSync.lastError()) }
    }

    deinit { close() }

    /// Writes `value` as one line of JSON.
    public func append(_ value: some Encodable) throws {
        precondition(fd >= 0, "JSONLinesWriter.append after close()")
        var line = try JSONOutput.encode(value, pretty: false, path: url.path)
        line.append(UInt8(ascii: "\n"))
        try line.withUnsafeBytes { bytes in
            var remaining = bytes
            while !remaining.isEmpty {
                let written = systemWrite(fd, remaining.baseAddress, remaining.count)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw OutputError.systemCall(call: "write", path: url.path, reason: FileSync.lastError())
                }
                remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
            }
        }
    }

    /// Closes the file; later appends are a programming error.
    public func close() {
        guard fd >= 0 else { return }
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
        fd = -1
    }
}

/// POSIX write(2), named apart from any `write` method.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
