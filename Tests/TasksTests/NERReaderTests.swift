import Foundation
import XCTest
@testable import Tasks
import TaskFile

/// The CoNLL reader: columns, sentences, documents, scheme conversion to IOB2, and errors that
/// name the file and line.
final class NERReaderTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ner-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ text: String, name: String = "data.txt") throws -> URL {
        try write(Data(text.utf8), name: name)
    }

    func write(_ data: Data, name: String = "data.txt") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func spec(tag: Int = 3, scheme: String = "iob2", token: Int = 0) -> DataSpec {
        var spec = DataSpec(format: .conll)
        spec.tokenColumn = token
        spec.tagColumn = tag
        spec.scheme = scheme
        return spec
    }

    func testIOB1InputIsConvertedToIOB2AndTheWrittenTagsAreKept() throws {
        // CoNLL-2003's layout (word, POS, chunk, NER in IOB1), with invented words. In order: I-X after O opens an
        // entity; I-X after another type opens one; B-X right after an X entity opens a new one;
        // B-X after O (as in two lines of eng.train) stays B-X.
        let url = try write("""
            -DOCSTART- -X- -X- O

            Acme NNP B-NP I-ORG
            rejects VBZ B-VP O
            Nordic JJ B-NP I-MISC
            Anna NNP I-NP I-PER
            Berg NNP I-NP I-PER
            Carl NNP I-NP B-PER
            . . O O

            Rovers NNP B-NP B-ORG
            won VBD B-VP O

            """)
        let sentences = try CoNLLReader.read(url: url, spec: spec(scheme: "iob1"))
        XCTAssertEqual(sentences.count, 2)
        XCTAssertEqual(sentences[0].words, ["Acme", "rejects", "Nordic", "Anna", "Berg", "Carl", "."])
        XCTAssertEqual(sentences[0].tags, ["B-ORG", "O", "B-MISC", "B-PER", "I-PER", "B-PER", "O"])
        XCTAssertEqual(sentences[0].writtenTags, ["I-ORG", "O", "I-MISC", "I-PER", "I-PER", "B-PER", "O"])
        XCTAssertEqual(sentences[1].tags, ["B-ORG", "O"])
        XCTAssertEqual(sentences[0].line, 3)
        XCTAssertEqual(sentences[1].line, 11)
        XCTAssertTrue(sentences[0].startsDocument)
        XCTAssertFalse(sentences[1].startsDocument)
    }

    func testDocstartLinesSeparateDocuments() throws {
        let url = try write("-DOCSTART- O\n\na O\n\nb B-X\n-DOCSTART- O\n\nc O\n\nd O\n-DOCSTART- O\ne O\n")
        let sentences = try CoNLLReader.read(url: url, spec: spec(tag: 1))
        XCTAssertEqual(sentences.map(\.words), [["a"], ["b"], ["c"], ["d"], ["e"]])
        XCTAssertEqual(sentences.map(\.document), [0, 0, 1, 1, 2])
        XCTAssertEqual(sentences.map(\.startsDocument), [true, false, true, false, true])
    }

    func testBIOESIsConvertedAndWrittenBack() throws {
        let url = try write("New B-LOC\nYork E-LOC\nis O\nbig O\nBob S-PER\n")
        let sentence = try XCTUnwrap(CoNLLReader.read(url: url, spec: spec(tag: 1, scheme: "bioes")).first)
        XCTAssertEqual(sentence.tags, ["B-LOC", "I-LOC", "O", "O", "B-PER"])
        XCTAssertEqual(NERLabels.write(sentence.tags!, in: "bioes"), ["B-LOC", "E-LOC", "O", "O", "S-PER"])
    }

    func testPredictionsAreWrittenInIOB1() {
        // A B-X right after an X entity keeps B-; every other entity token is I-; a stray
        // predicted I-X after O is an entity start.
        XCTAssertEqual(NERLabels.write(["B-PER", "I-PER", "B-PER", "O", "I-LOC", "B-ORG", "B-LOC"], in: "iob1"),
                       ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-LOC"])
        XCTAssertEqual(NERLabels.write(["O", "I-LOC", "I-LOC", "I-PER"], in: "iob2"), ["O", "B-LOC", "I-LOC", "B-PER"])
    }

    func testTabSeparatedColumnsKeepSpacesAndNegativeTagColumnCountsFromTheEnd() throws {
        // WNUT-17 layout: word TAB tag; a word may hold a space in a tab-separated file.
        let url = try write("@user\tO\nNew York\tB-location\ncity\tI-location\n\t\nok\tO\n")
        let sentences = try CoNLLReader.read(url: url, spec: spec(tag: -1))
        XCTAssertEqual(sentences.map(\.words), [["@user", "New York", "city"], ["ok"]])
        XCTAssertEqual(sentences[0].tags, ["O", "B-location", "I-location"])
        // no tab on the first word line: runs of blanks (spaces or tabs) separate columns; CRLF line ends are fine
        let spaced = try write("a  x O\r\nb x \t B-PER\r\n", name: "spaced.txt")
        XCTAssertEqual(try CoNLLReader.read(url: spaced, spec: spec(tag: -1)).first?.tags, ["O", "B-PER"])
    }

    func testLabelListIsOFirstThenSortedIOB2Tags() throws {
        let url = try write("a I-PER\nb O\nc I-LOC\nd I-LOC\n\ne B-PER\n")
        let sentences = try CoNLLReader.read(url: url, spec: spec(tag: 1, scheme: "iob1"))
        XCTAssertEqual(try NERLabels.fromTraining(sentences, declared: nil, path: url.path), ["O", "B-LOC", "B-PER", "I-LOC"])
        XCTAssertThrowsError(try NERLabels.fromTraining(sentences, declared: ["O", "B-PER"], path: url.path)) { error in
            XCTAssertEqual("\(error)", "\(url.path):3: tag `B-LOC` (in IOB2) is not in the task's `labels` list: `O`, `B-PER`")
        }
    }

    func testUnlabelledTestFileHasWordsOnly() throws {
        let url = try write("a\nb\n\nc\n")
        let sentences = try CoNLLReader.read(url: url, spec: spec(tag: 1), requireTags: false)
        XCTAssertEqual(sentences.map(\.words), [["a", "b"], ["c"]])
        XCTAssertNil(sentences[0].tags)
        XCTAssertThrowsError(try CoNLLReader.read(url: url, spec: spec(tag: 1)))
    }

    func assertError(_ text: String, spec: DataSpec, _ expected: (String) -> String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try write(text)
        XCTAssertThrowsError(try CoNLLReader.read(url: url, spec: spec), file: file, line: line) { error in
            XCTAssertEqual("\(error)", expected(url.path), file: file, line: line)
        }
    }

    func testErrorsNameTheFileAndLine() throws {
        try assertError("a x O\nb x O\n\nc O\n", spec: spec(tag: 2)) {
            "\($0):4: the line has 2 columns, but the first word line (line 1) has 3"
        }
        try assertError("-DOCSTART- -X- O\n\na x O\nb x B-\n", spec: spec(tag: 2)) {
            "\($0):4: tag \"B-\" is not a valid iob2 tag (expected O or one of B-, I- followed by a type, such as B-PER)"
        }
        try assertError("a x O\nb x E-PER\n", spec: spec(tag: 2, scheme: "iob1")) {
            "\($0):2: tag \"E-PER\" is not a valid iob1 tag (expected O or one of B-, I- followed by a type, such as B-PER)"
        }
        try assertError("a x O\nb x PER\n", spec: spec(tag: 2, scheme: "bioes")) {
            "\($0):2: tag \"PER\" is not a valid bioes tag (expected O or one of B-, I-, E-, S- followed by a type, such as B-PER)"
        }
        try assertError("\n\na x O\n", spec: spec(tag: 3)) {
            "\($0):3: `tag_column` 3 is out of range; the line has 3 columns (0...2, or -3...-1 counted from the end)"
        }
        try assertError("a x O\n", spec: spec(tag: -3)) { "\($0):1: `token_column` and `tag_column` both name column 0" }
        try assertError("\n-DOCSTART- O\n\n", spec: spec(tag: 1)) { "no sentences in \($0)" }
    }

    func testInvalidUTF8IsAnErrorWithItsLine() throws {
        var bytes = Data("a O\nb O\n\n".utf8)
        bytes += Data([0x63, 0xC3, 0x28, 0x20, 0x4F, 0x0A])  // "c\xC3( O": a broken two-byte sequence
        let url = try write(bytes)
        XCTAssertThrowsError(try CoNLLReader.read(url: url, spec: spec(tag: 1))) { error in
            XCTAssertEqual("\(error)", "\(url.path):4: the line is not valid UTF-8")
        }
    }
}
