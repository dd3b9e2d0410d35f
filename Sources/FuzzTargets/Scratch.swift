import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the inputs become files: the readers read files (and model folders), so each input is
/// written where they look for it, on a RAM disk (/dev/shm) when there is one, in a folder of
/// this process's own that is removed at exit.
enum Scratch {
    static let root: URL = {
        let base = URL(fileURLWithPath: FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        // a process that crashed (the fuzzer's purpose) left its folder: remove those of dead processes
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where name.hasPrefix("bertkit-fuzz-") {
            if let pid = Int32(name.dropFirst("bertkit-fuzz-".count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
            }
        }
        let url = base.appendingPathComponent("bertkit-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    /// The empty folder `name` (emptied when an earlier input left files in it).
    static func folder(_ name: String) -> URL {
        let url = root.appendingPathComponent(name, isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` as the file `name` in `folder` (whose parents exist) and returns its URL.
    @discardableResult
    static func write(_ bytes: [UInt8], as name: String, in folder: URL) -> URL {
        let url = folder.appendingPathComponent(name)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(fd >= 0, "cannot create \(url.path): \(String(cString: strerror(errno)))")
        defer { close(fd) }
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                precondition(written > 0 || errno == EINTR, "cannot write \(url.path): \(String(cString: strerror(errno)))")
                if written > 0 { done += written }
            }
        }
        return url
    }
}

/// The input cut in two at its first NUL byte (a byte no JSON, YAML or text file of ours holds
/// legitimately): for targets that read two files, such as tokenizer_config.json and
/// special_tokens_map.json. The second part is nil when there is no NUL.
func splitAtFirstNUL(_ bytes: [UInt8]) -> ([UInt8], [UInt8]?) {
    guard let cut = bytes.firstIndex(of: 0) else { return (bytes, nil) }
    return (Array(bytes[..<cut]), Array(bytes[(cut + 1)...]))
}
