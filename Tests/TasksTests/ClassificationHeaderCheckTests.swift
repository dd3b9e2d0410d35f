import Foundation
import XCTest
@testable import Tasks
import TaskFile

/// Classification's check of its `data:` block (`bertkit validate`): the columns it names must be
/// in the first line of each file, split by the readers' own scanners.
final class ClassificationHeaderCheckTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("header-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// Through the whole validation, with the kind's rules from the registry: the problem at the
    /// position of the key (Tests/Fixtures/taskfile/validate, its task `typo` with its head put right).
    func testAMissingColumnIsReportedAtItsKey() throws {
        TaskKindRegistry.registerBuiltIns()
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/taskfile/validate/tasks.yaml").standardizedFileURL
        var file = try TaskFile.load(url: url, environment: [:])
        file.tasks = [file.tasks[1]]
        file.tasks[0].head = "sequence-classification"
        let rules = try XCTUnwrap(TaskKindRegistry.rules(for: "classification"))
        XCTAssertEqual(rules.formats, [.tsv, .csv, .jsonl])
        XCTAssertEqual(file.validate(knownHeads: ["sequence-classification"], headTaskKinds: ["sequence-classification": rules]), [
            "\(url.path):13:54: task `typo`: `data.text`: the header of \"data/train.tsv\" has no column `sentences` "
                + "(columns: sentence, label)",
        ])
    }

    /// The csv reader's quoting (a comma and `""` inside quotes, a line break inside quotes) and
    /// its byte-order mark and `\r\n` handling, on a header row.
    func testCSVHeaderFields() throws {
        let plain = try write("plain.csv", Array("id,\"text, with comma\",\"say \"\"hi\"\"\",label\n1,a,b,c\n".utf8))
        XCTAssertEqual(FileStart(url: plain)?.firstRow(format: .csv), ["id", "text, with comma", "say \"hi\"", "label"])
        let marked = try write("marked.csv", [0xEF, 0xBB, 0xBF] + Array("\r\n\"sen\ntence\",label\r\nx,1\r\n".utf8))
        XCTAssertEqual(FileStart(url: marked)?.firstRow(format: .csv), ["sen\ntence", "label"])
        XCTAssertEqual(FileStart(url: marked)?.firstRow(format: .tsv), ["\"sen"])
    }

    /// A first line longer than the 64 KiB read is left to the reader, not checked half-read
    /// (it would look like a broken JSON object, or a header missing its last columns).
    func testAFirstLineLongerThanTheReadIsNotChecked() throws {
        let long = String(repeating: "x", count: 70_000)
        var jsonl = DataSpec(format: .jsonl)
        jsonl.train = try write("long.jsonl", Array("{\"text\": \"\(long)\", \"label\": 1}\n{\"text\": \"a\", \"label\": 0}\n".utf8))
        XCTAssertEqual(ClassificationTask.checkData(jsonl) { _ in true }, [])
        var tsv = DataSpec(format: .tsv)
        tsv.train = try write("long.tsv", Array("\(long)\ttext\tlabel\nx\ty\t1\n".utf8))
        XCTAssertEqual(ClassificationTask.checkData(tsv) { _ in true }, [])
        // within the read, the same check still reports
        tsv.train = try write("short.tsv", Array("sentence\tlabel\nx\t1\n".utf8))
        XCTAssertEqual(ClassificationTask.checkData(tsv) { _ in true }.map(\.key), ["text"])
    }

    func testEveryProblemOfTheFirstLines() throws {
        var csv = DataSpec(format: .csv)
        csv.train = try write("train.csv", [0xEF, 0xBB, 0xBF] + Array("text,\"label\"\nx,1\n".utf8))
        csv.test = try write("test.csv", Array("\"text\"\nx\n".utf8))
        csv.id = .name("id")
        csv.pathsAsWritten = ["train": "train.csv"]
        XCTAssertEqual(ClassificationTask.checkData(csv) { _ in true }, [
            DataProblem(key: "id", message: "`data.id`: the header of \"train.csv\" has no column `id` (columns: text, label)"),
            // a test file may come without labels
            DataProblem(key: "id", message: "`data.id`: the header of \"\(csv.test!.path)\" has no column `id` (columns: text)"),
        ])
        XCTAssertEqual(ClassificationTask.checkData(csv) { $0 != csv.train }.count, 1, "a missing file is not read")

        var tsv = DataSpec(format: .tsv)
        tsv.header = false
        tsv.text = .index(0)
        tsv.label = .index(2)
        tsv.train = try write("train.tsv", Array("\n\na b\t1\r\n".utf8))
        XCTAssertEqual(ClassificationTask.checkData(tsv) { _ in true }, [
            DataProblem(key: "label", message: "`data.label` is column 2, but the first line of \"\(tsv.train!.path)\" has 2 columns (counting from 0)"),
        ])

        var jsonl = DataSpec(format: .jsonl)
        jsonl.train = try write("train.jsonl", [0xEF, 0xBB, 0xBF] + Array("  \n{\"text\": \"a\", \"gold\": 1}\n".utf8))
        jsonl.eval = try write("eval.jsonl", Array("[1, 2]\n".utf8))
        XCTAssertEqual(ClassificationTask.checkData(jsonl) { _ in true }, [
            DataProblem(key: "label", message: "`data.label`: the first line of \"\(jsonl.train!.path)\" has no key `label` (keys: gold, text)"),
            DataProblem(key: "eval", message: "the first line of \"\(jsonl.eval!.path)\" is not a JSON object"),
        ])
    }
}
