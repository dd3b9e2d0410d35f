import Foundation
import XCTest

/// `bertkit validate` and `bertkit run` print every error of a task file in one run: one line
/// each, in line order, then the count; the exit status is not zero and nothing is written.
final class ValidateCommandTests: XCTestCase {
    private let manyErrors = BertKitProcess.fixtures.appendingPathComponent("taskfile/many-errors/tasks.yaml")

    /// The eight lines TaskFileTests' TaskFileAllErrorsTests expects, here with the heads the
    /// executable registers; the unknown head's line is checked up to its list of known heads.
    private var expectedLines: [String] {
        let path = manyErrors.path
        return [
            "\(path):3:8: environment variable `BERTKIT_TEST_UNSET_MODEL` is not set (used in \"${BERTKIT_TEST_UNSET_MODEL}/mini\"); "
                + "set it, or write `${BERTKIT_TEST_UNSET_MODEL:-default}`",
            "\(path):5:3: unknown key `lerning_rate`; did you mean `learning_rate`?",
            "\(path):6:15: `batch_size`: expected an integer, found `many`",
            "\(path):7:17: `warmup_ratio` must be at least 0 and less than 1, found 1.5",
            "\(path):10:11: task `sst2`: unknown head `sequence-clasification`; did you mean `sequence-classification`? known heads: ",
            "\(path):12:5: missing required key `head` in this mapping",
            "\(path):13:20: `format` must be one of tsv, csv, jsonl, conll, squad, text, found `tvs`; did you mean `tsv`?",
            "\(path):14:11: two tasks are named `sst2` (the first at \(path):9:11); names must be unique, each becomes a folder under `output`",
            "8 errors in \(path)",
        ]
    }

    private func assertPrintsEveryError(_ result: BertKitProcess.Result, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, expectedLines.count + 1, result.stderr, file: file, line: line)  // + the empty tail
        for (printed, expected) in zip(lines, expectedLines) {
            if expected.hasSuffix("known heads: ") {
                XCTAssertTrue(printed.hasPrefix(expected) && printed.contains("sequence-classification, "), printed, file: file, line: line)
            } else {
                XCTAssertEqual(printed, expected, file: file, line: line)
            }
        }
    }

    func testValidatePrintsEveryErrorInLineOrderThenTheCount() throws {
        assertPrintsEveryError(try BertKitProcess.run(["validate", manyErrors.path]))
    }

    func testRunStopsBeforeAnyWorkWithTheSameList() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-many-errors-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        assertPrintsEveryError(try BertKitProcess.run(["run", manyErrors.path, "--output", output.path]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "nothing written")
    }

    /// One error: that line, as it always read, and the count; fixed, the file validates.
    func testOneErrorIsOneLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-one-error-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("text\tlabel\ngood film\t1\n".utf8).write(to: folder.appendingPathComponent("train.tsv"))
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        func write(learningRateKey: String) throws {
            let yaml = """
                model: \(BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path)
                tasks:
                  - name: sst2
                    head: sequence-classification
                    \(learningRateKey): 3e-5
                    data: {format: tsv, train: train.tsv}
                """
            try Data(yaml.utf8).write(to: taskFile)
        }
        try write(learningRateKey: "lerning_rate")
        let result = try BertKitProcess.run(["validate", taskFile.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "\(taskFile.path):5:5: unknown key `lerning_rate`; did you mean `learning_rate`?\n"
                       + "1 error in \(taskFile.path)\n")
        try write(learningRateKey: "learning_rate")
        let fixed = try BertKitProcess.run(["validate", taskFile.path])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertEqual(fixed.stdout, "\(taskFile.path): ok, 1 task: sst2 (sequence-classification)\n")
    }
}
