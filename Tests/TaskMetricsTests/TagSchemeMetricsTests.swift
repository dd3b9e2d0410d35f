import XCTest
@testable import TaskMetrics

/// Hand-written cases for the tagging-scheme conversions used before NER scoring.
final class TagSchemeMetricsTests: XCTestCase {
    func testIOB1ToIOB2() throws {
        // I- after the start, after O and after another type opens an entity; I- after the
        // same type continues it; B- (right after an entity of its type, or after O as in two
        // lines of CoNLL-2003 eng.train) stays B-.
        let iob1 = ["I-PER", "I-PER", "O", "I-LOC", "I-ORG", "I-ORG", "B-ORG", "I-ORG", "O", "B-MISC", "I-MISC"]
        let iob2 = ["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG", "B-ORG", "I-ORG", "O", "B-MISC", "I-MISC"]
        XCTAssertEqual(try TagScheme.iob1ToIOB2(iob1), iob2)
        XCTAssertEqual(try TagScheme.iob1ToIOB2([]), [])
        XCTAssertEqual(try TagScheme.iob1ToIOB2(["O", "O"]), ["O", "O"])
        // Already IOB2: unchanged.
        XCTAssertEqual(try TagScheme.iob1ToIOB2(iob2), iob2)
    }

    func testIOB2ToBIOESAndBack() throws {
        let iob2 = ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG", "O", "B-MISC"]
        let bioes = ["B-PER", "I-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC", "S-ORG", "O", "S-MISC"]
        XCTAssertEqual(try TagScheme.iob2ToBIOES(iob2), bioes)
        XCTAssertEqual(try TagScheme.bioesToIOB2(bioes), iob2)
    }

    func testIllFormedInputIsReadAsSeqevalReadsIt() throws {
        // A stray I-X (after O or another type) opens an entity.
        XCTAssertEqual(try TagScheme.iob2ToBIOES(["O", "I-PER", "I-PER", "I-LOC"]), ["O", "B-PER", "E-PER", "S-LOC"])
        // An E-X or I-X that follows no open X entity opens one; after E-X the entity is closed.
        XCTAssertEqual(try TagScheme.bioesToIOB2(["E-PER", "O", "S-LOC", "I-LOC", "E-LOC", "I-LOC"]),
                       ["B-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-LOC"])
    }

    func testInvalidTagsThrowWithTheirPosition() {
        XCTAssertThrowsError(try TagScheme.iob1ToIOB2(["O", "PER"])) {
            XCTAssertEqual($0 as? TagSchemeError, .invalidTag(tag: "PER", position: 1, scheme: "IOB1"))
        }
        XCTAssertThrowsError(try TagScheme.iob2ToBIOES(["S-PER"])) {
            XCTAssertEqual($0 as? TagSchemeError, .invalidTag(tag: "S-PER", position: 0, scheme: "IOB2"))
        }
        XCTAssertThrowsError(try TagScheme.bioesToIOB2(["B-"])) {
            XCTAssertEqual($0 as? TagSchemeError, .invalidTag(tag: "B-", position: 0, scheme: "BIOES"))
        }
    }
}
