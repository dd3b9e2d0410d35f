import Foundation
import XCTest
@testable import Tasks

/// RFC 4180 csv: quotes, `""`, commas and line breaks inside quoted fields.
final class CSVReaderTests: XCTestCase {
    func testQuotedFieldsAndRecordStartLines() throws {
        let spec = classificationSpec(.csv, text: .name("premise"), pair: .name("hypothesis"), id: .name("id"))
        let examples = try ClassificationReader.read(url: readerFixture("quoted.csv"), spec: spec)
        XCTAssertEqual(examples, [
            ClassificationExample(id: "7", text: "He said \"hi\", then left.", textPair: "He left.",
                                  label: "entailment", line: 2),
            // The record spans lines 3-4; the next record starts on line 5.
            ClassificationExample(id: "8", text: "first line\nsecond line, still the same field", textPair: "plain",
                                  label: "not_entailment", line: 3),
            ClassificationExample(id: "9", text: "", textPair: "empty premise", label: "entailment", line: 5),
            ClassificationExample(id: "10", text: "quoted", textPair: "x", label: "not_entailment", line: 6),
        ])
    }

    func testColumnsByIndexAndLineNumberIds() throws {
        let spec = classificationSpec(.csv, text: .index(1), label: .index(3))
        let examples = try ClassificationReader.read(url: readerFixture("quoted.csv"), spec: spec)
        XCTAssertEqual(examples.map(\.id), ["2", "3", "5", "6"])
        XCTAssertEqual(examples[1].text, "first line\nsecond line, still the same field")
    }

    func testUnterminatedQuoteNamesTheLineItOpened() {
        let url = readerFixture("unterminated.csv")
        let message = assertDatasetError(.unterminatedQuote(path: url.path, line: 3)) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.csv, text: .name("text")))
        }
        XCTAssertTrue(message.hasPrefix("\(url.path):3: "), message)
    }

    func testCharacterAfterClosingQuoteIsAnError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-csv-\(UUID()).csv")
        try Data("text,label\nok,1\n\"bad\"x,0\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let message = assertDatasetError(.malformedCSV(
            path: url.path, line: 3,
            reason: "unexpected character after a closing quote (a quote inside a quoted field is written \"\")")) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.csv, text: .name("text")))
        }
        XCTAssertTrue(message.hasPrefix("\(url.path):3: "), message)
    }
}
