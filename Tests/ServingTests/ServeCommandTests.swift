import Backbone
import Foundation
import Runner
import XCTest

/// `bertkit serve` as a user runs it: the built executable (beside the test bundle in
/// .build/<config>/), its address read from its stderr, SIGTERM with requests in flight.
final class ServeCommandTests: XCTestCase {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bertkit")
    }

    /// A running `bertkit serve`, its stderr collected as it comes.
    final class ServeProcess: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var collected = Data()  // guarded by `lock`
        private let readerDone = DispatchSemaphore(value: 0)

        init(_ arguments: [String]) throws {
            process.executableURL = ServeCommandTests.executable
            process.arguments = ["serve"] + arguments
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let handle = stderr.fileHandleForReading
            Thread { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.lock(); collected.append(chunk); lock.unlock()
                }
                readerDone.signal()
            }.start()
        }

        var stderr: String {
            lock.lock(); defer { lock.unlock() }
            return String(decoding: collected, as: UTF8.self)
        }

        /// The port of the `listening on http://127.0.0.1:PORT` line, once it is printed.
        func port(timeout: Double = 120) throws -> Int {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let range = stderr.range(of: #"listening on http://127\.0\.0\.1:(\d+)\n"#, options: .regularExpression) {
                    let line = stderr[range]
                    return Int(line.split(separator: ":").last!.dropLast())!
                }
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.02)
            }
            throw HTTPTestClient.Failure(description: "no `listening on` line; stderr:\n\(stderr)")
        }

        /// Waits for the exit and for the last of stderr.
        func wait() -> (status: Int32, stderr: String) {
            process.waitUntilExit()
            readerDone.wait()
            return (process.terminationStatus, stderr)
        }
    }

    func testSIGTERMAnswersEveryRequestInFlightThenExitsZero() async throws {
        let folder = try ServingFixtures.checkpoint(.tokenClassification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        // batches wait up to 60 s to fill: the requests stay queued until the signal
        let server = try ServeProcess(["--model", folder.path, "--port", "0", "--max-wait-ms", "60000", "--max-batch-size", "64", "--threads", "2"])
        let client = HTTPTestClient(port: try server.port())
        let reference = try ServableModel.load(folder, warn: { _ in })
        let inputs = (0..<8).map { ServingFixtures.input(.tokenClassification, seed: $0) }
        let inFlight = inputs.map { input in Task { try await client.post("/v1/predict", json: ServingFixtures.json(input)) } }
        try await waitUntil("eight inputs are queued") {
            let metrics = try await client.get("/metrics").text
            return metrics.split(separator: "\n").contains("bertkit_queue_depth_inputs 8.0")
        }

        server.process.terminate()  // SIGTERM
        for (input, request) in zip(inputs, inFlight) {
            let reply = try await request.value
            XCTAssertEqual(reply.status, 200, reply.text)
            ServingFixtures.assertSameAnswer(try ServingFixtures.parse(reply.text), try ServingFixtures.answerAlone(reference, input))
        }
        let (status, stderr) = server.wait()
        XCTAssertEqual(status, 0, stderr)
        XCTAssertTrue(stderr.contains("shutting down"), stderr)
        // the access log: one structured line per request
        XCTAssertTrue(stderr.contains("method=POST path=/v1/predict status=200"), stderr)
        XCTAssertTrue(stderr.contains("inputs=1"), stderr)
    }

    func testSIGINTStopsAnIdleServerWithExitZero() throws {
        let folder = try ServingFixtures.checkpoint(.classification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let server = try ServeProcess(["--model", folder.path, "--port", "0"])
        let client = HTTPTestClient(port: try server.port())
        XCTAssertEqual(try client.sendBlocking("GET", "/health").status, 200)
        server.process.interrupt()  // SIGINT
        let (status, stderr) = server.wait()
        XCTAssertEqual(status, 0, stderr)
    }

    func testAModelThatFailsToLoadExitsNonZeroWithItsError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-serve-missing-\(UUID().uuidString)")
        let server = try ServeProcess(["--model", folder.path, "--port", "0"])
        let (status, stderr) = server.wait()
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(stderr.contains(folder.path), stderr)
        XCTAssertFalse(stderr.contains("listening on"), stderr)
    }

    func testAPortInUseExitsNonZeroNamingTheAddress() throws {
        let folder = try ServingFixtures.checkpoint(.classification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let first = try ServeProcess(["--model", folder.path, "--port", "0"])
        let port = try first.port()
        let second = try ServeProcess(["--model", folder.path, "--port", String(port)])
        let (status, stderr) = second.wait()
        XCTAssertEqual(status, 1, stderr)
        XCTAssertTrue(stderr.contains("cannot serve on 127.0.0.1:\(port): "), stderr)
        XCTAssertFalse(stderr.contains("shutting down"), "a failed start is no graceful shutdown: \(stderr)")
        first.process.terminate()
        XCTAssertEqual(first.wait().status, 0)
    }

    func testOptionsThatCannotWorkAreRefused() throws {
        let folder = try ServingFixtures.checkpoint(.classification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let server = try ServeProcess(["--model", folder.path, "--max-queue", "8", "--max-inputs", "16"])
        let (status, stderr) = server.wait()
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(stderr.contains("--max-queue (8) must be at least --max-inputs (16)"), stderr)
    }
}
