import Foundation

/// Writes a folder (a checkpoint, `best/`, `last/`) so that a reader or a crash never sees it
/// half written: at every instant either the old or the new complete folder exists, under
/// `final` or under the predictable name `.<name>.old-<random>` beside it.
///
/// The steps of `write(to:_:)`, for a final folder `runs/sst2/last`:
/// 1. `recover(final:)` tidies what an earlier crashed write left (see below).
/// 2. `fill` writes everything into `runs/sst2/.last.tmp-<random>`.
/// 3. Every file and folder in it is fsynced, then the temporary folder itself.
/// 4. If `last` exists it is renamed to `.last.old-<random>`.
/// 5. The temporary folder is renamed to `last`, and the parent folder is fsynced.
/// 6. `.last.old-<random>` is deleted.
///
/// Crash windows and what `recover(final:)` does about them on the next write or read:
/// - during 2-3: `last` is the old folder, untouched; the `.tmp-*` leftover is deleted.
/// - between 4 and 5: `last` is missing and `.last.old-*` is the complete old folder; it is
///   renamed back to `last` (the new folder in `.tmp-*` may be complete too, but nothing
///   records that, so it is deleted: the run redoes the save).
/// - during 6: `last` is the complete new folder; the rest of `.last.old-*` is deleted.
///
/// Two processes writing the same `final` at once are not supported.
/// `TestFaults` can pause in each window, or fail the write as a full disk would (tests only).
public enum AtomicDirectory {
    /// Fills a temporary folder with `fill` and puts it in place of `final`.
    /// If `fill` throws, the temporary folder is removed, `final` is untouched and the error
    /// is rethrown.
    public static func write(to final: URL, _ fill: (URL) throws -> Void) throws {
        let parent = final.deletingLastPathComponent()
        let name = final.lastPathComponent
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw OutputError.systemCall(call: "create folder", path: parent.path, reason: FileSync.reason(of: error))
        }
        try recover(final: final)

        let temporary = parent.appendingPathComponent(".\(name).tmp-\(FileSync.randomSuffix())", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw OutputError.systemCall(call: "create folder", path: temporary.path, reason: FileSync.reason(of: error))
        }
        do {
            try fill(temporary)
            try TestFaults.failIfDiskFull(in: temporary)
            try FileSync.syncTree(temporary.path)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }

        TestFaults.pauseInsideWrite()
        var old: URL?
        if FileManager.default.fileExists(atPath: final.path) {
            let moved = parent.appendingPathComponent(".\(name).old-\(FileSync.randomSuffix())", isDirectory: true)
            do {
                try FileSync.rename(final.path, to: moved.path)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
            old = moved
            TestFaults.pauseInsideWrite()
        }
        do {
            try FileSync.rename(temporary.path, to: final.path)
        } catch {
            // Put the old folder back so that `final` is never left missing by an error.
            if let old { try? FileSync.rename(old.path, to: final.path) }
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try FileSync.sync(parent.path)
        if let old {
            TestFaults.pauseInsideWrite()
            try? FileManager.default.removeItem(at: old)
        }
    }

    /// Tidies what a crashed `write(to:_:)` left beside `final`: deletes every `.<name>.tmp-*`;
    /// if `final` is missing, renames the newest `.<name>.old-*` back to `final`; deletes the
    /// other `.<name>.old-*`. Does nothing when the parent folder does not exist.
    public static func recover(final: URL) throws {
        let parent = final.deletingLastPathComponent()
        let name = final.lastPathComponent
        guard FileManager.default.fileExists(atPath: parent.path) else { return }
        let entries = try FileSync.contentsOfDirectory(parent.path)
        let temporaries = entries.filter { $0.hasPrefix(".\(name).tmp-") }
        var olds = entries.filter { $0.hasPrefix(".\(name).old-") }.map { parent.appendingPathComponent($0) }

        for entry in temporaries {
            try remove(parent.appendingPathComponent(entry))
        }
        if !FileManager.default.fileExists(atPath: final.path), !olds.isEmpty {
            // Normally there is only one; if several, the newest is the last complete folder.
            olds.sort { modificationDate($0) > modificationDate($1) }
            try FileSync.rename(olds.removeFirst().path, to: final.path)
            try FileSync.sync(parent.path)
        }
        for old in olds { try remove(old) }
    }

    private static func remove(_ url: URL) throws {
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw OutputError.systemCall(call: "remove", path: url.path, reason: FileSync.reason(of: error))
        }
    }

    private static func modificationDate(_ url: URL) -> Date {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes?[.modificationDate] as? Date) ?? .distantPast
    }
}
