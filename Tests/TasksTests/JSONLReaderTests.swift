import Foundation
import XCTest
@testable import Tasks

/// JSON Lines: keys as columns, labels as strings, integers or bools.
final class JSONLReaderTests: XCTestCase {
    func testLabelsAsIntegerStringAndBool() throws {
        let spec = classificationSpec(.jsonl, text: .name("text"), id: .name("uid"))
        let examples = try ClassificationReader.read(url: readerFixture("labels.jsonl"), spec: spec)
        XCTAssertEqual(examples, [
            ClassificationExample(id: "r1", text: "great film", label: "1", line: 1),
            ClassificationExample(id: "42", text: "awful", label: "neg", line: 2),
            // Line 3 is blank.
            ClassificationExample(id: "r3", text: "fine \u{E9}", label: "true", line: 4),
            ClassificationExample(id: "r4", text: "meh", label: "false", line: 5),
        ])
    }

    func testIndexColumnsAreRejected() {
        let url = readerFixture("labels.jsonl")
        assertDatasetError(.indexColumnInJSONL(path: url.path, index: 0)) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.jsonl, text: .index(0)))
        }
    }

    func testInvalidJSONLineNamesTheLine() {
        let url = readerFixture("bad-json.jsonl")
        do {
            _ = try ClassificationReader.read(url: url, spec: classificationSpec(.jsonl, text: .name("text")))
            XCTFail("expected an error")
        } catch let error as DatasetError {
            guard case .invalidJSON(let path, let line, _) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertEqual(line, 2)
            XCTAssertTrue(error.description.hasPrefix("\(url.path):2: the line is not valid JSON ("), error.description)
        } catch {
            XCTFail("unexpected \(error)")
        }
    }

    func testLineThatIsNotAnObject() {
        let url = readerFixture("not-object.jsonl")
        let message = assertDatasetError(.notAJSONObject(path: url.path, line: 2, found: "an array")) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.jsonl, text: .name("text")))
        }
        XCTAssertEqual(message, "\(url.path):2: expected a JSON object, found an array")
    }

    func testMissingKeysNameKeyAndLine() throws {
        let url = readerFixture("missing-key.jsonl")
        let message = assertDatasetError(.missingKey(path: url.path, line: 2, key: "label")) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.jsonl, text: .name("text")))
        }
        XCTAssertEqual(message, "\(url.path):2: the object has no key `label`")
        // Labels not required: line 2 reads without one, line 3 lacks the text.
        assertDatasetError(.missingKey(path: url.path, line: 3, key: "text")) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.jsonl, text: .name("text")),
                                          requireLabels: false)
        }
        let firstTwo = try ClassificationReader.read(url: url, spec: classificationSpec(.jsonl, text: .name("text")),
                                                     limit: 2, requireLabels: false)
        XCTAssertEqual(firstTwo.map(\.label), ["0", nil])
    }

    func testLabelOfAnotherTypeIsAnError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-jsonl-\(UUID()).jsonl")
        try Data("{\"text\": \"a\", \"label\": 1.5}\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        assertDatasetError(.wrongValueType(path: url.path, line: 1, key: "label",
                                           expected: "a string, an integer or a bool", found: "the number 1.5")) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.jsonl, text: .name("text")))
        }
    }
}
