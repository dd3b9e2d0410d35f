#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The few POSIX calls that atomic writes need, with errors that name the path.
/// Foundation's FileManager neither fsyncs nor promises that a move is one rename(2).
enum FileSync {
    /// The message for the current `errno`.
    static func lastError() -> String { String(cString: strerror(errno)) }

    /// rename(2): atomic replacement of `destination` by `source` on one file system.
    static func rename(_ source: String, to destination: String) throws {
        #if canImport(Glibc)
        let result = Glibc.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        guard result == 0 else {
            throw OutputError.systemCall(call: "rename to \(destination)", path: source, reason: lastError())
        }
    }

    /// Opens `path` read-only (a file or a folder) and fsyncs it, so that its contents (for a
    /// folder: its entries) are on disk before a rename publishes it.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OutputError.systemCall(call: "open", path: path, reason: lastError()) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw OutputError.systemCall(call: "fsync", path: path, reason: lastError()) }
    }

    /// fsyncs every regular file and folder under `root`, deepest first, then `root` itself.
    /// Symbolic links are not followed: what they point to is not part of the folder.
    static func syncTree(_ root: String) throws {
        var status = stat()
        guard lstat(root, &status) == 0 else { throw OutputError.systemCall(call: "lstat", path: root, reason: lastError()) }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            let names = try contentsOfDirectory(root)
            for name in names { try syncTree(root + "/" + name) }
            try sync(root)
        } else if (status.st_mode & S_IFMT) == S_IFREG {
            try sync(root)
        }
    }

    /// The entry names of a folder, "." and ".." excluded, hidden names included.
    static func contentsOfDirectory(_ path: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw OutputError.systemCall(call: "list folder", path: path, reason: "\(error.localizedDescription)")
        }
    }

    /// A short random suffix for temporary names, so two writers never pick the same one.
    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
