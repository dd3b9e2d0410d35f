import Foundation
import XCTest

/// A real SIGINT in the middle of training: the run says it is stopping, finishes its step,
/// writes last/ and metrics.json (outcome interrupted) and exits with 130.
final class CtrlCTests: XCTestCase {
    func testSIGINTStopsAfterTheStepAndWritesLast() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-sigint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let taskFile = try SyntheticTask.write(to: folder)
        let task = folder.appendingPathComponent("runs/has-z")

        let process = Process()
        process.executableURL = BertKitProcess.executable
        // long enough that it is still training when the signal comes
        process.arguments = ["run", taskFile.path, "--set", "epochs=200", "--set", "logging_steps=1"]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let errors = Box()
        let reader = DispatchGroup()
        reader.enter()
        DispatchQueue.global().async { errors.data = stderr.fileHandleForReading.readDataToEndOfFile(); reader.leave() }

        // wait for the first logged step (train_log.jsonl), at most 60 s
        let log = task.appendingPathComponent("train_log.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? Data(contentsOf: log))?.isEmpty ?? true), process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(process.isRunning, "the run is still training when interrupted")
        process.interrupt()  // SIGINT
        process.waitUntilExit()
        reader.wait()
        let text = String(decoding: errors.data, as: UTF8.self)

        XCTAssertEqual(process.terminationStatus, 130, text)
        XCTAssertTrue(text.contains("stopping after this step and writing last/"), text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: task.appendingPathComponent("last/model.safetensors").path))
        struct Metrics: Decodable { var outcome: String }
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
        XCTAssertEqual(metrics.outcome, "interrupted")
    }
}
