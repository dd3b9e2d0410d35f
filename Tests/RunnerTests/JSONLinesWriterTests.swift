import Foundation
import XCTest
@testable import Runner

final class JSONLinesWriterTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("jsonl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private struct LogEntry: Encodable {
        var step: Int
        var loss: Double
        var learningRate: Float
        var note: String
    }

    private func lines(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func testLinesAreSortedCompactAndNonFiniteIsNull() throws {
        let url = folder.appendingPathComponent("runs/t/train_log.jsonl")
        let writer = try JSONLinesWriter(url: url)
        try writer.append(LogEntry(step: 1, loss: 0.5, learningRate: 0.25, note: "a/b"))
        // Visible to a reader (tail -f) before the writer is closed.
        XCTAssertEqual(try lines(url), [#"{"learningRate":0.25,"loss":0.5,"note":"a/b","step":1}"#])
        try writer.append(LogEntry(step: 2, loss: .nan, learningRate: .infinity, note: "diverged"))
        try writer.append(LogEntry(step: 3, loss: -.infinity, learningRate: 0.125, note: "__x__ \"q\""))
        writer.close()

        let written = try lines(url)
        XCTAssertEqual(written, [
            #"{"learningRate":0.25,"loss":0.5,"note":"a/b","step":1}"#,
            #"{"learningRate":null,"loss":null,"note":"diverged","step":2}"#,
            #"{"learningRate":0.125,"loss":null,"note":"__x__ \"q\"","step":3}"#,
        ])
        for line in written {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertEqual(object?.count, 4)
        }
        let second = try JSONSerialization.jsonObject(with: Data(written[1].utf8)) as! [String: Any]
        XCTAssertTrue(second["loss"] is NSNull)
        XCTAssertEqual(second["step"] as? Int, 2)
    }

    func testReopeningAppendsAndTruncateStartsAfresh() throws {
        let url = folder.appendingPathComponent("log.jsonl")
        let first = try JSONLinesWriter(url: url)
        try first.append(["step": 1])
        first.close()
        let resumed = try JSONLinesWriter(url: url)
        try resumed.append(["step": 2])
        resumed.close()
        XCTAssertEqual(try lines(url), [#"{"step":1}"#, #"{"step":2}"#])
        let fresh = try JSONLinesWriter(url: url, truncate: true)
        try fresh.append(["step": 1])
        fresh.close()
        XCTAssertEqual(try lines(url), [#"{"step":1}"#])
    }

    func testOpenFailureNamesThePath() throws {
        let blocker = folder.appendingPathComponent("file")
        try "x".write(to: blocker, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try JSONLinesWriter(url: blocker.appendingPathComponent("log.jsonl"))) { error in
            XCTAssertTrue("\(error)".contains(self.folder.path), "\(error)")
        }
    }

    private struct Metrics: Encodable {
        var f1: Double
        var accuracy: Double
        var history: [Double]
    }

    func testJSONFileIsPrettySortedAtomicAndNullForNaN() throws {
        let url = folder.appendingPathComponent("metrics.json")
        try JSONFile.write(Metrics(f1: 0.5, accuracy: .nan, history: [0.25, .infinity]), to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains("\n  "), "pretty printed:\n\(text)")
        let accuracy = try XCTUnwrap(text.range(of: "\"accuracy\""))
        let f1 = try XCTUnwrap(text.range(of: "\"f1\""))
        let history = try XCTUnwrap(text.range(of: "\"history\""))
        XCTAssertLessThan(accuracy.lowerBound, f1.lowerBound)
        XCTAssertLessThan(f1.lowerBound, history.lowerBound)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        XCTAssertTrue(object["accuracy"] is NSNull)
        XCTAssertEqual(object["f1"] as? Double, 0.5)
        let values = object["history"] as! [Any]
        XCTAssertEqual(values[0] as? Double, 0.25)
        XCTAssertTrue(values[1] is NSNull)

        // Overwriting leaves only the file: no temporary beside it.
        try JSONFile.write(["f1": 0.75], to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["metrics.json"])
        let replaced = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        XCTAssertEqual(replaced["f1"] as? Double, 0.75)
    }
}
