import Foundation
import XCTest
@testable import Tasks

/// The errors every reader shares: files, UTF-8, rows and columns.
final class DatasetErrorReaderTests: XCTestCase {
    func testMissingFileNamesThePath() {
        let url = readerFixture("does-not-exist.tsv")
        let message = assertDatasetError(.fileNotFound(path: url.path)) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        }
        XCTAssertTrue(message.contains(url.path))
    }

    func testEmptyFileAndHeaderOnlyFileHaveNoExamples() {
        for name in ["empty.tsv", "header-only.tsv"] {
            let url = readerFixture(name)
            let message = assertDatasetError(.noExamples(path: url.path)) {
                try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
            }
            XCTAssertEqual(message, "no examples in \(url.path)")
        }
        let jsonl = readerFixture("empty.tsv")
        assertDatasetError(.noExamples(path: jsonl.path)) {
            try ClassificationReader.read(url: jsonl, spec: classificationSpec(.jsonl, text: .name("text")))
        }
    }

    func testShortRowNamesLineAndCounts() {
        let url = readerFixture("short-row.tsv")
        let message = assertDatasetError(.tooFewColumns(path: url.path, line: 3, found: 1, expected: 2)) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        }
        XCTAssertEqual(message, "\(url.path):3: the row has 1 column, expected 2")
    }

    func testMissingColumnListsTheHeader() {
        let url = readerFixture("rte-sample.tsv")
        let message = assertDatasetError(.unknownColumn(path: url.path, line: 1, column: "sentence",
                                                        header: ["index", "sentence1", "sentence2", "label"])) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        }
        XCTAssertEqual(message, "\(url.path):1: no column `sentence` in the header; its columns are "
                       + "`index`, `sentence1`, `sentence2`, `label`")
    }

    func testColumnIndexPastTheColumns() {
        let url = readerFixture("rte-sample.tsv")
        assertDatasetError(.columnIndexOutOfRange(path: url.path, line: 1, index: 4, columnCount: 4)) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.tsv, text: .index(4)))
        }
        let headerless = readerFixture("pairs-noheader.tsv")
        assertDatasetError(.tooFewColumns(path: headerless.path, line: 1, found: 4, expected: 6)) {
            try ClassificationReader.read(url: headerless, spec: classificationSpec(.tsv, text: .index(5), label: .index(3),
                                                                                   header: false))
        }
        assertDatasetError(.namedColumnWithoutHeader(path: headerless.path, column: "sentence")) {
            try ClassificationReader.read(url: headerless, spec: classificationSpec(.tsv, header: false))
        }
    }

    func testInvalidUTF8NamesTheLine() {
        let url = readerFixture("bad-utf8.tsv")
        let message = assertDatasetError(.invalidUTF8(path: url.path, line: 3)) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        }
        XCTAssertEqual(message, "\(url.path):3: the line is not valid UTF-8")
        // The lines before it are fine: a limit that stops before line 3 reads them.
        XCTAssertEqual(try ClassificationReader.read(url: url, spec: classificationSpec(.tsv), limit: 1).map(\.text),
                       ["good "])
    }

    func testFormatsWithoutAClassificationReader() {
        let url = readerFixture("rte-sample.tsv")
        assertDatasetError(.unsupportedFormat(path: url.path, format: "conll")) {
            try ClassificationReader.read(url: url, spec: classificationSpec(.conll))
        }
    }
}
