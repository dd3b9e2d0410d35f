import Foundation

/// A failure while writing one of a run's output files (reports, logs, checkpoint folders).
/// Every case names the path, so that a full disk or a read-only folder is easy to find.
public enum OutputError: Error, CustomStringConvertible, Equatable {
    /// A system call (open, write, fsync, rename, mkdir...) failed on `path`.
    case systemCall(call: String, path: String, reason: String)
    /// A value could not be encoded as JSON for `path`.
    case encoding(path: String, reason: String)

    public var description: String {
        switch self {
        case let .systemCall(call, path, reason): return "\(path): \(call) failed: \(reason)"
        case let .encoding(path, reason): return "\(path): cannot encode as JSON: \(reason)"
        }
    }
}
