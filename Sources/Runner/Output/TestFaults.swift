#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Faults that the reliability tests put into a real `bertkit run` through environment variables
/// (Tests/RunnerTests/KillAndResumeTests.swift, CheckpointWriteFailureTests.swift). Test-only:
/// no user sets them, and unset they cost one look-up when the process starts.
///
/// - `BERTKIT_TEST_CHECKPOINT_PAUSE_MS`: a folder write (`AtomicDirectory.write`, a checkpoint)
///   sleeps this long in each of its crash windows (half filled, filled but not published, the old
///   folder moved away, the new one published with the old not yet deleted), so that a SIGKILL
///   the test sends lands inside a write often enough to count.
/// - `BERTKIT_TEST_DISK_FULL_AFTER_BYTES`: a folder write whose files pass this many bytes in all
///   fails as a full disk would: the file that crosses the limit is cut there and the write throws
///   ENOSPC, through the same path as a real failed write(2).
enum TestFaults {
    static let pauseSeconds: Double? = environmentNumber("BERTKIT_TEST_CHECKPOINT_PAUSE_MS").map { $0 / 1000 }
    static let diskFullAfterBytes: Int? = environmentNumber("BERTKIT_TEST_DISK_FULL_AFTER_BYTES").map { Int($0) }

    /// Sleeps `BERTKIT_TEST_CHECKPOINT_PAUSE_MS` when set.
    static func pauseInsideWrite() {
        if let pauseSeconds { Thread.sleep(forTimeInterval: pauseSeconds) }
    }

    /// With `BERTKIT_TEST_DISK_FULL_AFTER_BYTES` set: throws ENOSPC, as write(2) would, for the
    /// first file of `folder` (in name order, depth first) at which the bytes pass the limit,
    /// after cutting that file to what fitted.
    static func failIfDiskFull(in folder: URL) throws {
        guard let limit = diskFullAfterBytes else { return }
        var used = 0
        for file in regularFiles(under: folder) {
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            if used + size > limit {
                _ = truncate(file.path, off_t(limit - used))
                throw OutputError.systemCall(call: "write", path: file.path, reason: String(cString: strerror(ENOSPC)))
            }
            used += size
        }
    }

    private static func regularFiles(under folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()) ?? []
        return names.flatMap { name -> [URL] in
            let url = folder.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
            return isFolder.boolValue ? regularFiles(under: url) : [url]
        }
    }

    private static func environmentNumber(_ name: String) -> Double? {
        ProcessInfo.processInfo.environment[name].flatMap(Double.init)
    }
}
