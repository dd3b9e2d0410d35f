import Foundation
import XCTest
@testable import Tasks
import TaskFile

/// Tests/Fixtures/readers/<name> (see its README for where each file comes from).
func readerFixture(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/readers/\(name)")
}

/// The spec of a tsv/csv/jsonl file with the given columns.
func classificationSpec(_ format: DataFormat, text: ColumnReference = .name("sentence"),
                        pair: ColumnReference? = nil, label: ColumnReference = .name("label"),
                        id: ColumnReference? = nil, header: Bool = true) -> DataSpec {
    var spec = DataSpec(format: format)
    spec.text = text
    spec.textPair = pair
    spec.label = label
    spec.id = id
    spec.header = header
    return spec
}

/// Runs `body`, which must throw exactly `expected`; returns the error's message.
@discardableResult
func assertDatasetError<T>(_ expected: DatasetError, file: StaticString = #filePath, line: UInt = #line,
                           _ body: () throws -> T) -> String {
    do {
        _ = try body()
        XCTFail("expected \(expected)", file: file, line: line)
    } catch let error as DatasetError {
        XCTAssertEqual(error, expected, file: file, line: line)
        return error.description
    } catch {
        XCTFail("expected a DatasetError, got \(error)", file: file, line: line)
    }
    return ""
}

/// TSV, GLUE style, plus the committed SST-2 demo sample.
final class ClassificationReaderTests: XCTestCase {
    func testTSVPairsByNameWithIdsAndLiteralQuotes() throws {
        let url = readerFixture("rte-sample.tsv")
        let spec = classificationSpec(.tsv, text: .name("sentence1"), pair: .name("sentence2"), id: .name("index"))
        let examples = try ClassificationReader.read(url: url, spec: spec)
        XCTAssertEqual(examples.map(\.id), ["0", "1", "50", "175"])
        XCTAssertEqual(examples.map(\.line), [2, 3, 4, 5])
        XCTAssertEqual(examples.map(\.label), ["not_entailment", "entailment", "entailment", "entailment"])
        XCTAssertEqual(examples[0].text, "No Weapons of Mass Destruction Found in Iraq Yet.")
        XCTAssertEqual(examples[0].textPair, "Weapons of Mass Destruction Found in Iraq.")
        // A field that opens with `"` is text, not a quoted field: the quote stays, and the
        // closing quote in the middle of the sentence does not end anything.
        XCTAssertTrue(examples[2].text.hasPrefix("\"Instead of action on crime, we got the federal long gun registry"))
        XCTAssertTrue(examples[3].text.hasPrefix("\"I will not seek your votes for a new mandate.\" With these words,"))
        XCTAssertEqual(examples[3].textPair, "Chirac doesn't want to be re-elected.")
    }

    func testTSVColumnsByIndexWithoutHeaderAndLineNumberIds() throws {
        let spec = classificationSpec(.tsv, text: .index(1), pair: .index(2), label: .index(3), header: false)
        let examples = try ClassificationReader.read(url: readerFixture("pairs-noheader.tsv"), spec: spec)
        XCTAssertEqual(examples, [
            ClassificationExample(id: "1", text: "the cat sat .", textPair: "it sat .", label: "1", line: 1),
            ClassificationExample(id: "2", text: "no dogs here", textPair: "dogs are here", label: "0", line: 2),
        ])
        let byIndexId = try ClassificationReader.read(
            url: readerFixture("pairs-noheader.tsv"),
            spec: classificationSpec(.tsv, text: .index(1), label: .index(3), id: .index(0), header: false))
        XCTAssertEqual(byIndexId.map(\.id), ["a1", "b2"])
        XCTAssertEqual(byIndexId.map(\.textPair), [nil, nil])
    }

    func testTSVSkipsBlankLinesAndStripsCarriageReturns() throws {
        let examples = try ClassificationReader.read(url: readerFixture("blank-lines.tsv"), spec: classificationSpec(.tsv))
        XCTAssertEqual(examples, [
            ClassificationExample(id: "2", text: "first ", label: "0", line: 2),
            ClassificationExample(id: "4", text: "second ", label: "1", line: 4),
        ])
    }

    func testUnlabelledSplitReadsWithoutLabelsOnlyWhenAllowed() throws {
        let url = readerFixture("sst2-test-sample.tsv")
        let spec = classificationSpec(.tsv, id: .name("index"))
        let examples = try ClassificationReader.read(url: url, spec: spec, requireLabels: false)
        XCTAssertEqual(examples.map(\.id), ["0", "1", "2"])
        XCTAssertEqual(examples.map(\.label), [nil, nil, nil])
        XCTAssertEqual(examples[0].text, "uneasy mishmash of styles and genres .")
        assertDatasetError(.unknownColumn(path: url.path, line: 1, column: "label", header: ["index", "sentence"])) {
            try ClassificationReader.read(url: url, spec: spec)
        }
        // Without a header: a label index past the first row means "no label column".
        let headerless = classificationSpec(.tsv, text: .index(1), label: .index(2), header: false)
        let rows = try ClassificationReader.read(url: url, spec: headerless, requireLabels: false)
        XCTAssertEqual(rows.map(\.label), [nil, nil, nil, nil])
        XCTAssertEqual(rows[0].text, "sentence")
        // With a header, a label index past the header's columns also means "no label column".
        let byIndex = classificationSpec(.tsv, label: .index(2))
        XCTAssertEqual(try ClassificationReader.read(url: url, spec: byIndex, requireLabels: false).map(\.label),
                       [nil, nil, nil])
    }

    func testByteOrderMarkIsNotPartOfTheFirstHeaderName() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-bom-\(UUID()).tsv")
        try Data([0xEF, 0xBB, 0xBF] + Array("sentence\tlabel\nh\u{E9}llo \t1\n".utf8)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let examples = try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        XCTAssertEqual(examples, [ClassificationExample(id: "2", text: "h\u{E9}llo ", label: "1", line: 2)])
    }

    func testLimitStopsEarly() throws {
        let url = readerFixture("rte-sample.tsv")
        let spec = classificationSpec(.tsv, text: .name("sentence1"), pair: .name("sentence2"))
        let examples = try ClassificationReader.read(url: url, spec: spec, limit: 2)
        XCTAssertEqual(examples.map(\.line), [2, 3])
        XCTAssertEqual(examples.map(\.id), ["2", "3"])
    }

    /// The demo data: every row matches a plain split of the file, the first row is GLUE's first
    /// SST-2 training sentence (data/sst2-sample/README.md; trailing space kept), and the labels are 0/1.
    func testCommittedSST2SampleReadsAsTheFileSays() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/sst2-sample/train.tsv")
        let examples = try ClassificationReader.read(url: url, spec: classificationSpec(.tsv))
        XCTAssertEqual(examples.count, 2000)
        XCTAssertEqual(Set(examples.compactMap(\.label)), ["0", "1"])
        XCTAssertEqual(examples[0].text, "hide new secretions from the parental units ")
        XCTAssertEqual(examples[0].label, "0")

        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(lines.count, examples.count)
        for (example, line) in zip(examples, lines) {
            let fields = line.components(separatedBy: "\t")
            XCTAssertEqual(example.text, fields[0])
            XCTAssertEqual(example.label, fields[1])
        }
        XCTAssertEqual(examples.filter { $0.label == "0" }.count, 899)   // data/sst2-sample/README.md
        XCTAssertEqual(try LabelSet.fromTraining(examples, declared: nil, path: url.path), ["0", "1"])
    }
}
