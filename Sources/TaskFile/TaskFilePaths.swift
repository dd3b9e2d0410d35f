import Foundation

// Paths in the task file (`model`, `output`, `data.train`/`eval`/`test`, a task's `model`):
// `${VAR}` and `${VAR:-default}` are expanded from the environment, then a relative path is
// resolved against the folder of the task file, so a task file means the same thing whatever the
// current directory. `~` is NOT expanded (it is not the shell): write `${HOME}/...` instead.

/// A path read from the task file: as written, and resolved.
struct TaskFilePath {
    var written: String
    var url: URL
    var position: YAMLPosition
}

extension YAMLMapping {
    /// The path under `key`, expanded and resolved against `folder`; nil if absent or null.
    func optionalResolvedPath(_ key: String, environment: [String: String], folder: URL) throws -> TaskFilePath? {
        guard let node = self[key], !node.isNull else { return nil }
        let written: String = try required(key)
        let expanded = try expandEnvironmentVariables(in: written, environment: environment, at: node.position)
        guard !expanded.isEmpty else {
            let after = written.isEmpty ? "" : " after expanding \"\(written)\""
            throw TaskFileError(.invalidValue(key: key), at: node.position, "`\(key)` is an empty path\(after)")
        }
        return TaskFilePath(written: written, url: resolve(expanded, against: folder), position: node.position)
    }

    /// As `optionalResolvedPath`, but the key must be present.
    func requiredResolvedPath(_ key: String, environment: [String: String], folder: URL) throws -> TaskFilePath {
        guard let path = try optionalResolvedPath(key, environment: environment, folder: folder) else {
            _ = try required(key, as: String.self)  // throws the usual "missing key" / "found nothing"
            preconditionFailure("required(_:) accepted a key that optionalResolvedPath found absent")
        }
        return path
    }
}

/// `path` if absolute, else `folder/path`; `.` and `..` are removed lexically (symlinks are
/// left alone, so the path in messages is the one the user can follow).
func resolve(_ path: String, against folder: URL) -> URL {
    let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    return url.standardizedFileURL
}
