import Distributed
import Foundation
import Tensor

/// The MPI job a `bertkit run` (or `bench train`) takes part in, when a launcher started it as
/// one of several ranks (docs/distributed.md). Joined once at the start of the command, before
/// any work, and finished at its end; nil for a process on its own, which then trains exactly as
/// it always has.
enum DataParallelWorld {
    // Unsafe, and sound as used: set on the main thread before any task starts, read-only until
    // the command ends.
    nonisolated(unsafe) private(set) static var communicator: Communicator?

    /// Joins the launcher's job when there is one of more than one rank.
    static func join() throws {
        guard communicator == nil, let joined = try Communicator.join() else { return }
        communicator = joined
        if joined.size > 1 && joined.isRoot {
            FileHandle.standardError.write(Data("bertkit: \(joined.size) ranks (\(joined.launch.launcher)), data-parallel\n".utf8))
        }
    }

    /// The job's communicator when it has more than one rank.
    static var ranks: Communicator? { communicator.flatMap { $0.size > 1 ? $0 : nil } }

    /// Whether this process writes files and progress: the only process, or rank 0.
    static var isWriter: Bool { communicator.map(\.isRoot) ?? true }

    /// A rank's threads unless the task sets them: the cores it may run on, shared by the ranks
    /// on its host.
    static var defaultThreadCount: Int {
        max(1, Parallel.defaultThreadCount / max(1, communicator?.launch.localSize ?? 1))
    }

    /// Ends the job's MPI part after the command's work on every rank.
    static func finish() {
        communicator?.finish()
    }

    /// On a rank of a job, an error stops every rank (with this rank's message); alone, nothing.
    static func abortIfRanked(_ error: Error) {
        if let ranks { ranks.abort("\(error)") }
    }
}
