import CMPI
import Foundation

/// This process's membership of an MPI job: its rank among `size`, and the collectives the
/// trainer needs (sums, maxima, gathering bytes, broadcasting bytes). Every call goes through the
/// communication thread, in program order, and blocks the caller until it is done, except the
/// gradient buckets' sums, which `GradientBuckets` queues and waits for later.
///
/// An MPI error stops the whole job (Open MPI's default handler, MPI_ERRORS_ARE_FATAL), so the
/// calls here have no error to return: a rank that cannot take part has already ended it.
public final class Communicator: @unchecked Sendable {
    public let launch: LaunchEnvironment
    public let rank: Int
    public let size: Int
    let thread: CommunicationThread

    public var isRoot: Bool { rank == 0 }

    /// Joins the job this process was launched into (`LaunchEnvironment.detect`): loads Open MPI
    /// and initialises it. nil when no launcher started the process; an error when one did and
    /// MPI cannot be loaded or started.
    public static func join(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Communicator? {
        guard let launch = LaunchEnvironment.detect(environment) else { return nil }
        let loaded = bk_mpi_load()
        guard loaded == BK_MPI_OK else {
            throw DistributedError.libraryUnavailable(launcher: launch.launcher, reason: String(validatingCString: bk_mpi_load_error()) ?? "")
        }
        let thread = CommunicationThread(name: "bertkit-mpi")
        let (status, rank, size) = thread.run { () -> (Int32, Int, Int) in
            var rank: Int32 = 0, size: Int32 = 0
            let status = bk_mpi_init(&rank, &size)
            return (status, Int(rank), Int(size))
        }
        guard status == 0 else { throw DistributedError.initFailed(errorText(status)) }
        // another MPI's launcher: Open MPI starts alone (a singleton) and each rank would train
        // by itself into the same output
        guard size == launch.size else {
            throw DistributedError.worldMismatch(launcher: launch.launcher, launched: launch.size, joined: size)
        }
        return Communicator(launch: launch, rank: rank, size: size, thread: thread)
    }

    private init(launch: LaunchEnvironment, rank: Int, size: Int, thread: CommunicationThread) {
        self.launch = launch
        self.rank = rank
        self.size = size
        self.thread = thread
    }

    /// Element-wise sums over all ranks.
    public func sum(_ values: [Double]) -> [Double] {
        thread.run {
            var values = values
            check(values.withUnsafeMutableBufferPointer { bk_mpi_allreduce_sum_double($0.baseAddress, $0.count) }, "MPI_Allreduce")
            return values
        }
    }

    /// Element-wise maxima over all ranks.
    public func maximum(_ values: [Double]) -> [Double] {
        thread.run {
            var values = values
            check(values.withUnsafeMutableBufferPointer { bk_mpi_allreduce_max_double($0.baseAddress, $0.count) }, "MPI_Allreduce")
            return values
        }
    }

    /// Sums `count` floats at `values` over all ranks, in place, now.
    public func sumInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        nonisolated(unsafe) let values = values
        thread.run { check(bk_mpi_allreduce_sum_float(values, count), "MPI_Allreduce") }
    }

    /// The in-place sum, made by a job already running on the communication thread.
    func sumOnThread(_ values: UnsafeMutablePointer<Float>, count: Int) {
        check(bk_mpi_allreduce_sum_float(values, count), "MPI_Allreduce")
    }

    func wait(for ticket: Int) { thread.wait(for: ticket) }

    /// Every rank's bytes, in rank order, on every rank.
    public func allGather(_ bytes: [UInt8]) -> [[UInt8]] {
        thread.run { [size] in
            var counts = [Int64](repeating: 0, count: size)
            check(counts.withUnsafeMutableBufferPointer { bk_mpi_allgather_int64(Int64(bytes.count), $0.baseAddress) }, "MPI_Allgather")
            guard counts.allSatisfy({ $0 <= Int64(Int32.max) }), counts.reduce(0, +) <= Int64(Int32.max) else {
                fatalError("bertkit: gathering \(counts.reduce(0, +)) bytes exceeds MPI's 2 GiB count limit")
            }
            let counts32 = counts.map { Int32($0) }
            var offsets = [Int32](repeating: 0, count: size)
            for r in 1..<max(size, 1) { offsets[r] = offsets[r - 1] + counts32[r - 1] }
            var received = [UInt8](repeating: 0, count: Int(counts.reduce(0, +)))
            let status = bytes.withUnsafeBytes { send in
                received.withUnsafeMutableBytes { receive in
                    bk_mpi_allgatherv_bytes(send.baseAddress, Int32(bytes.count), receive.baseAddress, counts32, offsets)
                }
            }
            check(status, "MPI_Allgatherv")
            return (0..<size).map { Array(received[Int(offsets[$0])..<Int(offsets[$0] + counts32[$0])]) }
        }
    }

    /// `bytes` as the root has them, on every rank (the others' argument is ignored).
    public func broadcast(_ bytes: [UInt8], from root: Int = 0) -> [UInt8] {
        thread.run {
            var length = Int64(bytes.count)
            check(bk_mpi_broadcast(&length, 8, Int32(root)), "MPI_Bcast")
            var buffer = self.rank == root ? bytes : [UInt8](repeating: 0, count: Int(length))
            if length > 0 {
                check(buffer.withUnsafeMutableBytes { bk_mpi_broadcast($0.baseAddress, $0.count, Int32(root)) }, "MPI_Bcast")
            }
            return buffer
        }
    }

    public func barrier() {
        thread.run { check(bk_mpi_barrier(), "MPI_Barrier") }
    }

    /// Stops every rank of the job: this rank's message on standard error first, then MPI_Abort,
    /// whose launcher kills the others. Called from the failing thread itself, not the
    /// communication thread, which may be blocked in a collective the failed rank will never join.
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("bertkit: rank \(rank) of \(size): \(message)\n".utf8))
        bk_mpi_abort(code)
        exit(code)
    }

    /// MPI_Finalize, once every rank is done: after it no collective can be made.
    public func finish() {
        thread.run { check(bk_mpi_finalize(), "MPI_Finalize") }
    }
}

/// Under MPI_ERRORS_ARE_FATAL a failed call has already ended the job; a non-zero status that
/// comes back anyway means the library is not behaving as Open MPI does.
private func check(_ status: Int32, _ call: String) {
    if status != 0 {
        FileHandle.standardError.write(Data("bertkit: \(call) failed: \(errorText(status))\n".utf8))
        bk_mpi_abort(status)
        exit(status)
    }
}

private func errorText(_ status: Int32) -> String {
    var text = [CChar](repeating: 0, count: 512)
    bk_mpi_error_string(status, &text, Int32(text.count))
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

public enum DistributedError: Error, CustomStringConvertible {
    case libraryUnavailable(launcher: String, reason: String)
    case initFailed(String)
    case worldMismatch(launcher: String, launched: Int, joined: Int)

    public var description: String {
        switch self {
        case .libraryUnavailable(let launcher, let reason):
            return "started by \(launcher) as one rank of a job, but Open MPI's library cannot be loaded (\(reason)); install openmpi-bin and libopenmpi-dev (Open MPI 4.x), or run without \(launcher)"
        case .initFailed(let reason):
            return "MPI_Init_thread failed: \(reason)"
        case .worldMismatch(let launcher, let launched, let joined):
            return "\(launcher) started \(launched) ranks, but Open MPI sees a job of \(joined): BertKit joins jobs of Open MPI's mpirun (or srun with PMIx), not another MPI's launcher"
        }
    }
}
