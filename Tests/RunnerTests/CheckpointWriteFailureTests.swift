#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import XCTest

/// A disk that fills up or an output folder that cannot be written (issue 25): the run stops with
/// an error that names the checkpoint, the file and the cause, and best/ and last/ stay as they
/// were, byte for byte, with no half-written folder beside them.
final class CheckpointWriteFailureTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-write-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        _ = chmod(folder.appendingPathComponent("runs/has-z").path, 0o755)
        try? FileManager.default.removeItem(at: folder)
    }

    /// 32 examples in batches of 8, 2 epochs: 8 steps, best/ and last/ written at step 4 and 8
    /// (model.safetensors is 341,928 bytes, trainer_state/optimizer.safetensors twice that).
    func trainedRun() throws -> (run: FaultRun, best: [String: Data], last: [String: Data]) {
        let run = try FaultRun(in: folder, trainCount: 32, devCount: 8, defaults:
            "epochs: 2, batch_size: 8, learning_rate: 1e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 16, seed: 7, logging_steps: 1, threads: 1")
        let first = try run.run()
        XCTAssertEqual(first.status, 0, first.stderr)
        return (run, try FaultRun.files(under: run.best), try FaultRun.files(under: run.last))
    }

    func assertUntouched(_ run: FaultRun, best: [String: Data], last: [String: Data], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(try FaultRun.files(under: run.best) == best, "best/ changed", file: file, line: line)
        XCTAssertTrue(try FaultRun.files(under: run.last) == last, "last/ changed", file: file, line: line)
        XCTAssertTrue(run.writeLeftovers().isEmpty, "left beside them: \(run.writeLeftovers())", file: file, line: line)
        try CheckpointLoading.load(run.best, trainerState: false)
        try CheckpointLoading.load(run.last, trainerState: true)
    }

    /// ENOSPC injected (BERTKIT_TEST_DISK_FULL_AFTER_BYTES) into the first write of a new run
    /// (best/, after its weights' first 100,000 bytes), then into a resumed run's last/ (after
    /// 600,000 bytes: best/ fits, last/'s optimizer moments do not).
    func testAFullDiskLeavesBestAndLastAsTheyWereAndNamesTheFileAndTheCause() throws {
        let (run, best, last) = try trainedRun()

        let again = try run.run(environment: ["BERTKIT_TEST_DISK_FULL_AFTER_BYTES": "100000"])
        XCTAssertEqual(again.status, 1, again.stderr)
        let temporary = #"/\.best\.tmp-[0-9a-f]+/model\.safetensors: write failed: No space left on device"#
        XCTAssertNotNil(again.stderr.range(of: "error: [has-z] \(run.best.path): checkpoint not written (best/ is left as it was): \(run.task.path)"),
                        again.stderr)
        XCTAssertNotNil(again.stderr.range(of: temporary, options: .regularExpression), again.stderr)
        try assertUntouched(run, best: best, last: last)

        let resumed = try run.run(["--resume", "--set", "epochs=3"], environment: ["BERTKIT_TEST_DISK_FULL_AFTER_BYTES": "600000"])
        XCTAssertEqual(resumed.status, 1, resumed.stderr)
        XCTAssertNotNil(resumed.stderr.range(of: "\(run.last.path): checkpoint not written (last/ is left as it was)"), resumed.stderr)
        XCTAssertNotNil(resumed.stderr.range(of: #"/\.last\.tmp-[0-9a-f]+/trainer_state/optimizer\.safetensors: write failed: No space left on device"#,
                                             options: .regularExpression), resumed.stderr)
        XCTAssertTrue(try FaultRun.files(under: run.last) == last, "last/ changed")
        XCTAssertTrue(run.writeLeftovers().isEmpty, "\(run.writeLeftovers())")
        try CheckpointLoading.load(run.best, trainerState: false)
        try CheckpointLoading.load(run.last, trainerState: true)
    }

    /// A real failing write(2), no injection: the shell's `ulimit -f` caps every file this run
    /// writes at 102,400 bytes, so model.safetensors fails with EFBIG (SIGXFSZ ignored, as the
    /// limit asks for).
    func testAWriteTheSystemRefusesLeavesBestAndLastAsTheyWere() throws {
        let (run, best, last) = try trainedRun()
        let capped = try run.run(launcher: ["/bin/sh", "-c", #"trap '' XFSZ; ulimit -f 200; exec "$0" "$@""#])
        XCTAssertEqual(capped.status, 1, capped.stderr)
        XCTAssertNotNil(capped.stderr.range(of: "\(run.best.path): checkpoint not written (best/ is left as it was)"), capped.stderr)
        XCTAssertNotNil(capped.stderr.range(of: #"model\.safetensors.*: File too large"#, options: .regularExpression), capped.stderr)
        try assertUntouched(run, best: best, last: last)
    }

    /// The task's output folder made read-only (chmod 555). Root ignores permissions, so as
    /// root the run goes through setpriv without CAP_DAC_OVERRIDE, and gets EACCES as any user.
    func testAReadOnlyOutputFolderLeavesBestAndLastAsTheyWereAndNamesTheCause() throws {
        let (run, best, last) = try trainedRun()
        XCTAssertEqual(chmod(run.task.path, 0o555), 0)
        let launcher = geteuid() == 0 ? ["/usr/bin/setpriv", "--bounding-set=-dac_override", "--"] : []
        let again = try run.run(launcher: launcher)
        XCTAssertEqual(again.status, 1, again.stderr)
        XCTAssertNotNil(again.stderr.range(of: "error: [has-z] \(run.best.path): checkpoint not written (best/ is left as it was): "), again.stderr)
        XCTAssertNotNil(again.stderr.range(of: #"/\.best\.tmp-[0-9a-f]+: create folder failed: Permission denied"#, options: .regularExpression),
                        again.stderr)
        XCTAssertEqual(chmod(run.task.path, 0o755), 0)
        try assertUntouched(run, best: best, last: last)
    }
}
