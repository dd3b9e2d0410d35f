import XCTest
import Tensor
@testable import TaskFile

/// `precision:` in defaults and per task, and its error.
final class PrecisionKeyTests: XCTestCase {
    private func load(_ text: String) throws -> TaskFile {
        try TaskFile(yaml: YAMLParser.parse(text, path: "t.yaml"), url: URL(fileURLWithPath: "/p/t.yaml"), environment: [:])
    }

    private let twoTasks = """
        model: m
        defaults: {precision: bf16}
        tasks:
          - name: a
            head: h
            data: {format: tsv, train: x.tsv}
          - name: b
            head: h
            data: {format: tsv, train: x.tsv}
            precision: fp32

        """

    func testDefaultsApplyAndATaskOverrides() throws {
        let file = try load(twoTasks)
        XCTAssertEqual(file.tasks.map(\.training.precision), [.bf16, .fp32])
    }

    func testFP32IsTheDefault() throws {
        let file = try load("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tsv, train: x.tsv}\n")
        XCTAssertEqual(file.tasks[0].training.precision, .fp32)
    }

    func testAnUnknownPrecisionNamesTheKeyTheValueAndTheChoices() {
        let message = thrownDescription(try load("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tsv, train: x.tsv}\n    precision: fp16\n"))
        XCTAssertEqual(message, "t.yaml:6:16: `precision` must be fp32 or bf16, found `fp16`")
    }

    func testOverrideFromTheCommandLine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("precision-\(UUID().uuidString).yaml")
        try twoTasks.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try TaskFile.load(url: url, overrides: ["tasks.b.precision=bf16"], environment: [:])
        XCTAssertEqual(file.tasks.map(\.training.precision), [.bf16, .bf16])
    }
}
