import Foundation
import XCTest

/// Open MPI's `mpirun` for the data-parallel tests: ranks of the built `bertkit` on this machine,
/// and the processes it starts for them.
enum MPIRun {
    /// mpirun's path, found on PATH; nil when Open MPI is not installed.
    static var path: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return directories.map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The launcher for `BertKitProcess.run(_:launcher:)`: `ranks` ranks on this machine. As root
    /// if need be (CI containers), more ranks than cores allowed, and no rank bound to a core (two
    /// ranks pinned to one core would take turns). Fails the test, not skips it, without mpirun:
    /// the data-parallel tests are part of the suite.
    static func launcher(ranks: Int = 2, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let mpirun = try XCTUnwrap(path, "mpirun is not on PATH: scripts/setup.sh installs openmpi-bin and libopenmpi-dev, which the data-parallel tests need",
                                   file: file, line: line)
        return [mpirun, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", String(ranks)]
    }

    /// The ranks mpirun started on this machine (its child processes), by OMPI_COMM_WORLD_RANK.
    static func ranks(of mpirun: pid_t) -> [Int: pid_t] {
        var found: [Int: pid_t] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), parent(of: pid) == mpirun,
                  let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            for variable in environment.split(separator: 0) {
                let text = String(decoding: variable, as: UTF8.self)
                if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                    found[rank] = pid
                }
            }
        }
        return found
    }

    /// Whether a process has ended: no /proc entry, or a zombie waiting to be reaped.
    static func hasEnded(_ pid: pid_t) -> Bool {
        guard let fields = statFields(of: pid) else { return true }
        return fields.first == "Z" || fields.first == "X"
    }

    private static func parent(of pid: pid_t) -> pid_t? {
        statFields(of: pid).flatMap { $0.count > 1 ? pid_t($0[1]) : nil }
    }

    /// /proc/<pid>/stat after the command name, which may hold spaces and parentheses itself:
    /// state, parent pid, ...
    private static func statFields(of pid: pid_t) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.range(of: ")", options: .backwards) else { return nil }
        return text[close.upperBound...].split(separator: " ").map(String.init)
    }
}
