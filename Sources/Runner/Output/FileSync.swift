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

    /// The cause of a Foundation file error as the system words it ("No space left on device",
    /// "Permission denied"): Foundation's own text on Linux hides the errno ("You don't have
    /// permission") or prints the whole NSError.
    static func reason(of error: Error) -> String {
        // the errno sits in a POSIXError (Linux) or an NSError of the POSIX domain, on the error
        // itself or as its underlying error
        func errno(of error: Any?) -> Int32? {
            if let posix = error as? POSIXError { return posix.code.rawValue }
            if let error = error as? NSError, error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
            return nil
        }
        guard let code = errno(of: error) ?? errno(of: (error as NSError).userInfo[NSUnderlyingErrorKey]) else {
            return error.localizedDescription
        }
        return String(cString: strerror(code))
    }

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

    /// Writes `data` to `url` through a temporary file and a rename (Foundation's `.atomic`),
    /// with an error that names the path and the cause.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw OutputError.systemCall(call: "write", path: url.path, reason: reason(of: error))
        }
    }

    /// Creates `folder` and its missing parents, with an error that names the path and the cause.
    static func createFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError.systemCall(call: "create folder", path: folder.path, reason: reason(of: error))
        }
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
            throw OutputError.systemCall(call: "list folder", path: path, reason: reason(of: error))
        }
    }

    /// A short random suffix for temporary names, so two writers never pick the same one.
    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }
}
