import Foundation
import XCTest
@testable import TaskMetrics

/// seqeval 1.2.2 reference values: Tests/Fixtures/metrics/seqeval.jsonl, written by
/// seqeval (Tests/Fixtures/metrics/README.md): precision_score / recall_score / f1_score /
/// accuracy_score and classification_report(output_dict=True, zero_division=0) in default mode,
/// and the strict IOB2 scores for the IOB2 cases.
final class SeqevalMetricsTests: XCTestCase {
    private struct Scores: Decodable {
        var precision: Double
        var recall: Double
        var f1: Double
    }

    private struct ReportRow: Decodable {
        var precision: Double
        var recall: Double
        var f1: Double
        var support: Double

        enum CodingKeys: String, CodingKey { case precision, recall, f1 = "f1-score", support }
    }

    private struct Default: Decodable {
        var precision: Double
        var recall: Double
        var f1: Double
        var accuracy: Double
        var per_type: [String: ReportRow]
    }

    private struct Case: Decodable {
        var scheme: String
        var gold: [[String]]
        var pred: [[String]]
        var `default`: Default
        var strict_iob2: Scores?
    }

    private func cases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/metrics/seqeval.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Case.self, from: Data($0.utf8)) }
    }

    private func assertRow(_ got: SeqevalScores, _ want: ReportRow, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.precision, want.precision, accuracy: 1e-12, "\(what) precision", file: file, line: line)
        XCTAssertEqual(got.recall, want.recall, accuracy: 1e-12, "\(what) recall", file: file, line: line)
        XCTAssertEqual(got.f1, want.f1, accuracy: 1e-12, "\(what) f1", file: file, line: line)
        XCTAssertEqual(Double(got.support), want.support, "\(what) support", file: file, line: line)
    }

    func testDefaultModeMatchesSeqevalOnEveryFixtureCase() throws {
        let cases = try cases()
        XCTAssertEqual(cases.count, 40)
        for (i, c) in cases.enumerated() {
            let report = try Seqeval.evaluate(gold: c.gold, predicted: c.pred, mode: .default)
            let want = c.default
            XCTAssertEqual(report.precision, want.precision, accuracy: 1e-12, "case \(i) precision")
            XCTAssertEqual(report.recall, want.recall, accuracy: 1e-12, "case \(i) recall")
            XCTAssertEqual(report.f1, want.f1, accuracy: 1e-12, "case \(i) f1")
            XCTAssertEqual(report.accuracy, want.accuracy, accuracy: 1e-12, "case \(i) accuracy")
            let averages = ["micro avg", "macro avg", "weighted avg"]
            XCTAssertEqual(report.perType.map(\.type), want.per_type.keys.filter { !averages.contains($0) }.sorted(),
                           "case \(i) entity types")
            for row in report.perType {
                guard let expected = want.per_type[row.type] else { continue }
                assertRow(row.scores, expected, "case \(i) \(row.type)")
            }
            assertRow(report.microAverage, want.per_type["micro avg"]!, "case \(i) micro avg")
            assertRow(report.macroAverage, want.per_type["macro avg"]!, "case \(i) macro avg")
            assertRow(report.weightedAverage, want.per_type["weighted avg"]!, "case \(i) weighted avg")
        }
    }

    func testStrictIOB2ModeMatchesSeqeval() throws {
        let cases = try cases().filter { $0.strict_iob2 != nil }
        XCTAssertEqual(cases.count, 20)
        var differsFromDefault = false
        for (i, c) in cases.enumerated() {
            let strict = try Seqeval.evaluate(gold: c.gold, predicted: c.pred, mode: .strict)
            let want = c.strict_iob2!
            XCTAssertEqual(strict.precision, want.precision, accuracy: 1e-12, "case \(i) strict precision")
            XCTAssertEqual(strict.recall, want.recall, accuracy: 1e-12, "case \(i) strict recall")
            XCTAssertEqual(strict.f1, want.f1, accuracy: 1e-12, "case \(i) strict f1")
            if abs(want.f1 - c.default.f1) > 1e-9 { differsFromDefault = true }
        }
        XCTAssertTrue(differsFromDefault, "the fixture should exercise a stray I- tag")
    }

    // Chunks worked by hand with conlleval's rules.
    func testDefaultModeChunkingByHand() throws {
        // Gold entities: PER [0,1] (I- opens a chunk after the start), LOC [3], ORG [4]
        // (type change), MISC [5,6] (B- then E-), PER [7] (S-).
        let gold = [["I-PER", "I-PER", "O", "B-LOC", "I-ORG", "B-MISC", "E-MISC", "S-PER"]]
        let entities = try SeqevalChunks.defaultEntities(gold, source: "gold")
        XCTAssertEqual(entities.map { "\($0.type) \($0.start) \($0.end)" },
                       ["PER 0 1", "LOC 3 3", "ORG 4 4", "MISC 5 6", "PER 7 7"])
        // Sentences are joined by an "O": no entity runs across the boundary.
        let two = try SeqevalChunks.defaultEntities([["B-PER"], ["I-PER"]], source: "gold")
        XCTAssertEqual(two.map { "\($0.type) \($0.start) \($0.end)" }, ["PER 0 0", "PER 2 2"])
        // A tag without "-" has its whole rest as type; "O" is type "_".
        XCTAssertEqual(SeqevalChunks.splitDefault("B-X-Y")?.1, "X-Y")
        XCTAssertEqual(SeqevalChunks.splitDefault("O")?.1, "_")
    }

    func testStrictModeIgnoresStrayInsideTags() throws {
        let gold = [["B-PER", "I-PER", "O", "B-LOC"]]
        let predicted = [["B-PER", "I-PER", "O", "I-LOC"]]
        // Default mode reads I-LOC after O as an entity: both entities right.
        let lenient = try Seqeval.evaluate(gold: gold, predicted: predicted)
        XCTAssertEqual(lenient.f1, 1)
        // Strict IOB2: I-LOC is no entity. P = 1/1, R = 1/2, F1 = 2/3.
        let strict = try Seqeval.evaluate(gold: gold, predicted: predicted, mode: .strict)
        XCTAssertEqual(strict.precision, 1)
        XCTAssertEqual(strict.recall, 0.5)
        XCTAssertEqual(strict.f1, 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(strict.perType.map(\.type), ["LOC", "PER"])
        XCTAssertEqual(strict.perType[0].scores, SeqevalScores(precision: 0, recall: 0, f1: 0, support: 1))
        XCTAssertEqual(strict.accuracy, 0.75)
    }

    func testErrorsNameTheProblem() {
        XCTAssertThrowsError(try Seqeval.evaluate(gold: [["O"]], predicted: [["O"], ["O"]])) {
            XCTAssertEqual($0 as? SeqevalError, .sentenceCountMismatch(gold: 1, predicted: 2))
        }
        XCTAssertThrowsError(try Seqeval.evaluate(gold: [["O", "O"]], predicted: [["O"]])) {
            XCTAssertEqual($0 as? SeqevalError, .sentenceLengthMismatch(sentence: 0, gold: 2, predicted: 1))
        }
        XCTAssertThrowsError(try Seqeval.evaluate(gold: [["O", "S-PER"]], predicted: [["O", "O"]], mode: .strict)) {
            guard case let .invalidTag(tag, source, sentence, position, _)? = $0 as? SeqevalError else {
                return XCTFail("wrong error \($0)")
            }
            XCTAssertEqual([tag, source], ["S-PER", "gold"])
            XCTAssertEqual([sentence, position], [0, 1])
        }
        XCTAssertThrowsError(try Seqeval.evaluate(gold: [["O"]], predicted: [[""]]))
    }

    func testNoEntitiesGivesZerosNotNaN() throws {
        let report = try Seqeval.evaluate(gold: [["O", "O"]], predicted: [["O", "O"]])
        XCTAssertEqual(report.f1, 0)
        XCTAssertEqual(report.accuracy, 1)
        XCTAssertEqual(report.macroAverage.f1, 0)
        XCTAssertNoThrow(try JSONEncoder().encode(report))
    }
}
