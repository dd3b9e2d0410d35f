import Foundation
import XCTest
@testable import TaskMetrics

final class SquadMetricsTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/metrics")

    /// Tests/Fixtures/metrics/squad-v1.1-subset.json (Tests/Fixtures/metrics/README.md):
    /// three SQuAD v1.1 dev articles, perturbed predictions and the official evaluate-v1.1.py result.
    func testV1MatchesTheOfficialScriptOnTheFixture() throws {
        struct Fixture: Decodable {
            struct Result: Decodable { var exact_match: Double; var f1: Double }
            var predictions: [String: String]
            var official_result: Result
        }
        let url = fixtures.appendingPathComponent("squad-v1.1-subset.json")
        let data = try Data(contentsOf: url)
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        // The dataset sits under "dataset"; re-serialise it to read it as a SQuAD file.
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let datasetJSON = try JSONSerialization.data(withJSONObject: object["dataset"]!)
        let gold = try SquadMetrics.goldAnswers(json: datasetJSON)
        XCTAssertEqual(gold.count, fixture.predictions.count)

        let result = SquadMetrics.v1(gold: gold, predictions: fixture.predictions)
        XCTAssertEqual(result.exactMatch, fixture.official_result.exact_match, accuracy: 1e-9)
        XCTAssertEqual(result.f1, fixture.official_result.f1, accuracy: 1e-9)
        XCTAssertEqual(result.total, gold.count)
        XCTAssertEqual(result.unanswered, 0)
    }

    /// Expected strings from the official normalize_answer (evaluate-v1.1.py, Python 3.11)
    /// run on the same inputs.
    func testNormalizationFollowsPython() {
        let cases: [(String, String)] = [
            ("The Quick, brown fox!", "quick brown fox"),
            ("\u{0130}stanbul", "i\u{0307}stanbul"),                              // lower() expands U+0130
            ("\u{039F}\u{0394}\u{039F}\u{03A3} \u{03A3}\u{0391} \u{03A3}", "\u{03BF}\u{03B4}\u{03BF}\u{03C2} \u{03C3}\u{03B1} \u{03C3}"), // final sigma
            ("\u{0391}\u{03A3}.", "\u{03B1}\u{03C2}"),
            ("\u{03A3}'\u{0391}", "\u{03C3}\u{03B1}"),
            ("the\u{0301} an_a a", "\u{0301} ana"),                               // a combining mark is no word character
            ("x\u{00A0}the\u{2003}y\u{200B}z", "x y\u{200B}z"),                   // U+200B is not whitespace
            ("\u{00AB}Les\u{00BB} \u{2014} the end\u{2026}", "\u{00AB}les\u{00BB} \u{2014} end\u{2026}"), // only ASCII punctuation goes
            ("A \u{00BD} an\u{00B2} the3 th\u{00E9}\u{00E2}tre", "\u{00BD} an\u{00B2} the3 th\u{00E9}\u{00E2}tre"), // numerics are word characters
            ("an-the's", "anthes"),
            ("\u{FB01} \u{01C5} \u{00DF}", "\u{FB01} \u{01C6} \u{00DF}"),
            (" \t\n ", ""),
            ("", ""),
            ("a.b", "ab"),
        ]
        for (input, expected) in cases {
            let got = SquadNormalization.normalize(input)
            XCTAssertTrue(got.unicodeScalars.elementsEqual(expected.unicodeScalars),
                          "normalize(\(input.debugDescription)) = \(got.debugDescription), want \(expected.debugDescription)")
        }
    }

    /// Tests/Fixtures/metrics/squad-normalize-python.jsonl: the official normalize_answer
    /// (Python 3.11, Unicode 14) on a probe string around sampled code points of every general
    /// category, every whitespace character and every character whose lower() expands
    /// (written by make-squad-normalize-fixture.py in that folder).
    func testNormalizationMatchesPythonAcrossUnicodeCategories() throws {
        struct Row: Decodable { var code_point: Int; var text: String; var normalized: String }
        let text = try String(contentsOf: fixtures.appendingPathComponent("squad-normalize-python.jsonl"), encoding: .utf8)
        let rows = try text.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
        XCTAssertGreaterThan(rows.count, 150)
        for row in rows {
            let got = SquadNormalization.normalize(row.text)
            XCTAssertTrue(got.unicodeScalars.elementsEqual(row.normalized.unicodeScalars),
                          "U+\(String(row.code_point, radix: 16)): \(got.debugDescription) vs \(row.normalized.debugDescription)")
        }
    }

    func testExactMatchAndF1ByHand() {
        // Tokens: [cat, sat, on, mat] vs [cat, on, mat, sat]: all 4 shared.
        XCTAssertEqual(SquadMetrics.f1V1(prediction: "the cat sat on the mat", gold: "a cat on a mat, sat"), 1)
        // [café, café, x] vs [café, y, café]: 2 shared, P = R = 2/3.
        XCTAssertEqual(SquadMetrics.f1V1(prediction: "café café x", gold: "café y café"), 2.0 / 3.0, accuracy: 1e-15)
        // Precomposed and decomposed é are different code points, as in Python.
        XCTAssertFalse(SquadMetrics.exactMatch(prediction: "caf\u{E9}", gold: "cafe\u{301}"))
        // v1.1: both empty after normalisation -> exact match, but F1 0 (no shared token).
        XCTAssertTrue(SquadMetrics.exactMatch(prediction: ".", gold: ""))
        XCTAssertEqual(SquadMetrics.f1V1(prediction: ".", gold: ""), 0)
        XCTAssertEqual(SquadMetrics.f1V2(predicted: [], gold: []), 1)
        XCTAssertEqual(SquadMetrics.f1V2(predicted: [["x"]], gold: []), 0)
    }

    func testV1CountsMissingPredictionsAsZero() {
        let gold = [SquadGold(id: "a", answers: ["Paris"]), SquadGold(id: "b", answers: ["Rome"])]
        let result = SquadMetrics.v1(gold: gold, predictions: ["a": "paris"])
        XCTAssertEqual(result.exactMatch, 50)
        XCTAssertEqual(result.f1, 50)
        XCTAssertEqual(result.unanswered, 1)
    }

    /// Expected numbers printed by the official script on the committed files, run once by hand:
    ///   cd Tests/Fixtures/metrics/squad-v2-small
    ///   python3 evaluate-v2.0.py data.json preds.json --na-prob-file na.json [--na-prob-thresh 0.5]
    ///   python3 evaluate-v2.0.py data.json preds.json
    /// (evaluate-v2.0.py: the official SQuAD v2.0 script, Python 3.11.)
    func testV2MatchesTheOfficialScriptOnTheSmallCase() throws {
        let folder = fixtures.appendingPathComponent("squad-v2-small")
        let gold = try SquadMetrics.goldAnswers(contentsOf: folder.appendingPathComponent("data.json"))
        let predictions = try JSONDecoder().decode([String: String].self,
                                                   from: Data(contentsOf: folder.appendingPathComponent("preds.json")))
        let noAnswer = try JSONDecoder().decode([String: Double].self,
                                                from: Data(contentsOf: folder.appendingPathComponent("na.json")))

        let run1 = try SquadMetrics.v2(gold: gold, predictions: predictions, noAnswerProbabilities: noAnswer)
        let official1 = SquadV2Result(
            exact: 54.54545454545455, f1: 62.12121212121212, total: 11,
            hasAnsExact: 62.5, hasAnsF1: 72.91666666666666, hasAnsTotal: 8,
            noAnsExact: 33.333333333333336, noAnsF1: 33.333333333333336, noAnsTotal: 3,
            bestExact: 54.54545454545455, bestExactThresh: 0.2, bestF1: 62.12121212121212, bestF1Thresh: 0.4)
        assertClose(run1, official1)

        let run2 = try SquadMetrics.v2(gold: gold, predictions: predictions, noAnswerProbabilities: noAnswer,
                                       noAnswerThreshold: 0.5)
        let official2 = SquadV2Result(
            exact: 54.54545454545455, f1: 62.12121212121212, total: 11,
            hasAnsExact: 50.0, hasAnsF1: 60.416666666666664, hasAnsTotal: 8,
            noAnsExact: 66.66666666666667, noAnsF1: 66.66666666666667, noAnsTotal: 3,
            bestExact: 54.54545454545455, bestExactThresh: 0.2, bestF1: 62.12121212121212, bestF1Thresh: 0.4)
        assertClose(run2, official2)

        let run3 = try SquadMetrics.v2(gold: gold, predictions: predictions)
        let official3 = SquadV2Result(
            exact: 54.54545454545455, f1: 62.12121212121212, total: 11,
            hasAnsExact: 62.5, hasAnsF1: 72.91666666666666, hasAnsTotal: 8,
            noAnsExact: 33.333333333333336, noAnsF1: 33.333333333333336, noAnsTotal: 3)
        assertClose(run3, official3)

        // The JSON keys are the script's.
        let json = String(decoding: try JSONEncoder().encode(run1), as: UTF8.self)
        for key in ["\"HasAns_exact\"", "\"NoAns_f1\"", "\"best_f1_thresh\"", "\"exact\""] {
            XCTAssertTrue(json.contains(key), "missing \(key) in \(json)")
        }
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(run3), as: UTF8.self).contains("best_"))
    }

    func testV2ErrorsNameTheQuestion() {
        let gold = [SquadGold(id: "q", answers: [])]
        XCTAssertThrowsError(try SquadMetrics.v2(gold: gold, predictions: [:])) {
            XCTAssertEqual($0 as? SquadMetricsError, .missingPrediction(id: "q"))
        }
        XCTAssertThrowsError(try SquadMetrics.v2(gold: gold, predictions: ["q": ""], noAnswerProbabilities: [:])) {
            XCTAssertEqual($0 as? SquadMetricsError, .missingNoAnswerProbability(id: "q"))
        }
        XCTAssertThrowsError(try SquadMetrics.goldAnswers(json: Data("{\"data\": [{}]}".utf8), path: "x.json")) {
            guard case let .unreadableDataset(path, reason)? = $0 as? SquadMetricsError else {
                return XCTFail("wrong error \($0)")
            }
            XCTAssertEqual(path, "x.json")
            XCTAssertTrue(reason.contains("paragraphs"), reason)
        }
    }

    private func assertClose(_ got: SquadV2Result, _ want: SquadV2Result, file: StaticString = #filePath, line: UInt = #line) {
        func close(_ a: Double?, _ b: Double?, _ name: String) {
            guard let a, let b else {
                return XCTAssertTrue(a == nil && b == nil, "\(name): \(String(describing: a)) vs \(String(describing: b))", file: file, line: line)
            }
            XCTAssertEqual(a, b, accuracy: 1e-12, name, file: file, line: line)
        }
        close(got.exact, want.exact, "exact")
        close(got.f1, want.f1, "f1")
        XCTAssertEqual(got.total, want.total, "total", file: file, line: line)
        close(got.hasAnsExact, want.hasAnsExact, "HasAns_exact")
        close(got.hasAnsF1, want.hasAnsF1, "HasAns_f1")
        XCTAssertEqual(got.hasAnsTotal, want.hasAnsTotal, "HasAns_total", file: file, line: line)
        close(got.noAnsExact, want.noAnsExact, "NoAns_exact")
        close(got.noAnsF1, want.noAnsF1, "NoAns_f1")
        XCTAssertEqual(got.noAnsTotal, want.noAnsTotal, "NoAns_total", file: file, line: line)
        close(got.bestExact, want.bestExact, "best_exact")
        close(got.bestExactThresh, want.bestExactThresh, "best_exact_thresh")
        close(got.bestF1, want.bestF1, "best_f1")
        close(got.bestF1Thresh, want.bestF1Thresh, "best_f1_thresh")
    }
}
