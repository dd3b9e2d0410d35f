import Foundation
import XCTest

/// Every bad input to `bertkit run` gives a clear message naming the file, line or key, a
/// non-zero exit, and no output folder.
final class RunBadInputTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-bad-\(UUID().uuidString)")
        try SyntheticTask.write(to: folder, trainCount: 40, devCount: 10)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    var taskFile: URL { folder.appendingPathComponent("tasks.yaml") }

    func replaceInTaskFile(_ old: String, _ new: String) throws {
        let text = try String(contentsOf: taskFile, encoding: .utf8)
        XCTAssertTrue(text.contains(old), "the synthetic task file contains \(old)")
        try Data(text.replacingOccurrences(of: old, with: new).utf8).write(to: taskFile)
    }

    /// Runs and checks the failure: exit code, message fragments, nothing written.
    func assertFails(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try BertKitProcess.run(["run", taskFile.path])
        XCTAssertNotEqual(result.status, 0, "exit status", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(result.stderr.contains(fragment), "stderr lacks `\(fragment)`:\n\(result.stderr)", file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/has-z").path),
                       "no half-written output", file: file, line: line)
    }

    func testYAMLSyntaxError() throws {
        try replaceInTaskFile("head: sequence-classification", "head: [sequence-classification")
        try assertFails(["tasks.yaml:", "line"].prefix(1) + [taskFile.path + ":"])
    }

    func testUnknownKeySuggestsTheRightOne() throws {
        try replaceInTaskFile("learning_rate: 1e-3", "learnin_rate: 1e-3")
        try assertFails([taskFile.path + ":3:", "learnin_rate", "learning_rate"])
    }

    func testMissingDataFile() throws {
        try replaceInTaskFile("eval: dev.tsv", "eval: nowhere.tsv")
        try assertFails(["nowhere.tsv", taskFile.path + ":"])
    }

    func testMissingColumnListsTheHeader() throws {
        try replaceInTaskFile("text: sentence", "text: sentenc")
        try assertFails(["sentenc", "sentence"])
    }

    func testUnknownHeadListsTheKnownOnes() throws {
        try replaceInTaskFile("head: sequence-classification", "head: sequence-clasification")
        try assertFails(["sequence-clasification", "sequence-classification", taskFile.path + ":"])
    }

    func testEmptyTrainingSet() throws {
        try Data("sentence\tlabel\n".utf8).write(to: folder.appendingPathComponent("train.tsv"))
        try assertFails(["no examples in", "train.tsv"])
    }

    func testUnseenEvalLabelNamesFileAndLine() throws {
        var dev = try String(contentsOf: folder.appendingPathComponent("dev.tsv"), encoding: .utf8)
        dev += "a b c\tmaybe\n"
        try Data(dev.utf8).write(to: folder.appendingPathComponent("dev.tsv"))
        try assertFails(["dev.tsv:12", "maybe"])
    }

    func testInvalidUTF8LineNamesFileAndLine() throws {
        var train = try Data(contentsOf: folder.appendingPathComponent("train.tsv"))
        train.append(contentsOf: [0x61, 0x20, 0xC3, 0x28, 0x09, 0x79, 0x65, 0x73, 0x0A])  // "a \xC3( \t yes"
        try train.write(to: folder.appendingPathComponent("train.tsv"))
        try assertFails(["train.tsv:42", "UTF-8"])
    }

    /// The labels come from the data here (no `data.labels`), so only the run can count them: it
    /// stops before training, at the key.
    func testClassWeightsOfAnotherCountThanTheLabels() throws {
        try replaceInTaskFile("    metrics: [accuracy, f1]\n", "    metrics: [accuracy, f1]\n    class_weights: [1, 2, 3]\n")
        try assertFails(["\(taskFile.path):10:20: task `has-z`: `class_weights` has 3 weights but the task has 2 labels, in this order: no, yes"])
    }

    /// The CRF head's loss is a sequence likelihood: no class weights, refused at the key.
    func testClassWeightsOnTheCRFHead() throws {
        try Data(NEREndToEndTests.conll(sentences: 10, seed: 1).utf8).write(to: folder.appendingPathComponent("train.txt"))
        try replaceInTaskFile("""
                head: sequence-classification
                head_config: {pooling: mean}
                data: {format: tsv, train: train.tsv, eval: dev.tsv, text: sentence, label: label}
                metrics: [accuracy, f1]

            """, """
                head: token-classification-crf
                data: {format: conll, train: train.txt, tag_column: -1}
                class_weights: balanced

            """)
        try assertFails(["\(taskFile.path):8:20: task `has-z`: head `token-classification-crf` does not take `class_weights` "
                         + "(heads that do: sequence-classification, token-classification)"])
    }
}
