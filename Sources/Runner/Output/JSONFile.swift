import Foundation

/// Whole JSON files people read (`metrics.json`, `bertkit.json`): pretty, sorted keys,
/// non-finite numbers as `null`, written atomically so a reader sees the old or the new file.
public enum JSONFile {
    /// Writes `value` to `.<name>.tmp-<random>` beside `url`, fsyncs it, renames it to `url`.
    /// The temporary file is removed on any failure.
    public static func write(_ value: some Encodable, to url: URL) throws {
        var data = try JSONOutput.encode(value, pretty: true, path: url.path)
        data.append(UInt8(ascii: "\n"))
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError.systemCall(call: "create folder", path: folder.path, reason: FileSync.reason(of: error))
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(FileSync.randomSuffix())")
        do {
            try data.write(to: temporary)
            try FileSync.sync(temporary.path)
            try FileSync.rename(temporary.path, to: url.path)
        } catch let error as OutputError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw OutputError.systemCall(call: "write", path: temporary.path, reason: FileSync.reason(of: error))
        }
    }
}
