import Foundation
import XCTest
@testable import Tasks

/// SQuAD v1.1 / v2.0 files: answers in code points, malformed questions named by id.
final class QAReaderTests: XCTestCase {
    func testReadsTheV11Article() throws {
        let dataset = try SquadReader.read(url: QAFixtures.article)
        XCTAssertEqual(dataset.examples.count, 96)
        XCTAssertEqual(dataset.version, "1.1")
        XCTAssertFalse(dataset.looksLikeVersionTwo)
        let first = dataset.examples[0]
        XCTAssertEqual(first.id, "5727c94bff5b5019007d954a")
        XCTAssertEqual(first.question, "Which Florida city has the biggest population?")
        XCTAssertEqual(first.answers, Array(repeating: SquadAnswer(text: "Jacksonville", start: 0), count: 3))
        let last = dataset.examples[95]
        XCTAssertEqual(last.id, "572827fc3acd2414000df5be")
        XCTAssertEqual(last.answers.first, SquadAnswer(text: "91.3", start: 769))
        XCTAssertFalse(dataset.examples.contains { $0.isImpossible })
        XCTAssertEqual(try SquadReader.read(url: QAFixtures.article, limit: 10).examples.count, 10)
    }

    func testReadsV2UnanswerableQuestions() throws {
        let json = """
            {"version": "v2.0", "data": [{"title": "t", "paragraphs": [{"context": "Paris is in France.", "qas": [
              {"id": "a", "question": "Where is Paris?", "answers": [{"text": "France", "answer_start": 12}], "is_impossible": false},
              {"id": "b", "question": "Where is Rome?", "answers": [], "is_impossible": true,
               "plausible_answers": [{"text": "France", "answer_start": 12}]}]}]}]}
            """
        let dataset = try SquadReader.parse(Data(json.utf8), path: "v2.json")
        XCTAssertTrue(dataset.looksLikeVersionTwo)
        XCTAssertEqual(dataset.examples.map(\.isImpossible), [false, true])
        XCTAssertEqual(dataset.examples[1].answers, [])
        XCTAssertEqual(dataset.examples[1].plausibleAnswers, [SquadAnswer(text: "France", start: 12)])
    }

    /// answer_start counts code points: an emoji (one code point, two UTF-16 units) and a
    /// combining accent (its own code point) before the answer, and a leading U+FEFF, which
    /// JSONSerialization on Linux would drop, shifting every offset.
    func testOffsetsAreCodePointsAndALeadingBOMIsKept() throws {
        let json = #"{"data": [{"paragraphs": [{"context": "\ufeff😀 cafe\u0301 noir", "qas": [{"id": "x", "question": "q", "answers": [{"text": "noir", "answer_start": 9}]}]}]}]}"#
        let example = try XCTUnwrap(SquadReader.parse(Data(json.utf8), path: "bom.json").examples.first)
        XCTAssertEqual(example.context.unicodeScalars.first, "\u{FEFF}")
        XCTAssertEqual(example.answers, [SquadAnswer(text: "noir", start: 9)])
    }

    func testAnswerNotAtItsStartIsAnErrorNamingTheQuestion() throws {
        let json = #"{"data": [{"paragraphs": [{"context": "the cat sat", "qas": [{"id": "q1", "question": "who?", "answers": [{"text": "cat", "answer_start": 4}]}, {"id": "q2", "question": "what?", "answers": [{"text": "cat", "answer_start": 5}]}]}]}]}"#
        XCTAssertThrowsError(try SquadReader.parse(Data(json.utf8), path: "bad.json")) { error in
            XCTAssertEqual("\(error)", #"bad.json: question `q2`: answer 1 "cat" is not in the context at answer_start 5 (code points; the context there reads "at ")"#)
        }
        var warnings: [String] = []
        let kept = try SquadReader.parse(Data(json.utf8), path: "bad.json", skipInvalid: true) { warnings.append($0) }
        XCTAssertEqual(kept.examples.map(\.id), ["q1"])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("`q2`") && warnings[0].contains("skipped"), warnings[0])
    }

    func testMalformedQuestionsAreNamed() throws {
        func error(_ qas: String, context: String = #""context": "the cat sat", "#) -> String {
            let json = #"{"data": [{"paragraphs": [{"# + context + #""qas": ["# + qas + "]}]}]}"
            do {
                _ = try SquadReader.parse(Data(json.utf8), path: "f.json")
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(error(#"{"id": "q", "answers": []}"#), "f.json: question `q`: missing key `question`")
        XCTAssertEqual(error(#"{"id": "q", "question": "?"}"#),
                       "f.json: question `q`: missing key `answers` (write `\"answers\": []` for an unanswerable question)")
        XCTAssertEqual(error(#"{"question": "?", "answers": []}"#), "f.json: question at data[0].paragraphs[0].qas[0] (no id): missing key `id`")
        XCTAssertEqual(error(#"{"id": "q", "question": "?", "answers": [{"text": "cat"}]}"#), "f.json: question `q`: answer 1: missing key `answer_start`")
        XCTAssertEqual(error(#"{"id": "q", "question": "?", "answers": [{"text": "cat", "answer_start": "4"}]}"#),
                       "f.json: question `q`: answer 1: `answer_start` is not an integer")
        XCTAssertEqual(error(#"{"id": "q", "question": "?", "answers": [{"text": "sat", "answer_start": 9}]}"#),
                       #"f.json: question `q`: answer 1 "sat": answer_start 9 + its 3 characters is outside the context (11 characters)"#)
        XCTAssertEqual(error(#"{"id": "q", "question": "?", "answers": [{"text": "cat", "answer_start": 4}], "is_impossible": true}"#),
                       "f.json: question `q`: `is_impossible` is true but it has 1 answer(s)")
        XCTAssertEqual(error(#"{"id": "q", "question": "?", "answers": []}, {"id": "q", "question": "?", "answers": []}"#),
                       "f.json: question `q`: the id is used by an earlier question too")
        XCTAssertEqual(error(#"{"id": "q", "question": "?", "answers": []}"#, context: ""),
                       "f.json: question `q`: its paragraph data[0].paragraphs[0] has no `context`")
        // the rest of this message is Foundation's own wording
        XCTAssertTrue(error("1").hasPrefix("f.json: not a SQuAD JSON file: `data[0].paragraphs[0].qas[0]`: "), error("1"))
    }

    func testFileLevelProblems() throws {
        XCTAssertThrowsError(try SquadReader.parse(Data(#"{"version": "1.1"}"#.utf8), path: "f.json")) {
            XCTAssertEqual("\($0)", "f.json: not a SQuAD JSON file: missing key `data`")
        }
        XCTAssertThrowsError(try SquadReader.parse(Data(#"{"data": []}"#.utf8), path: "f.json")) {
            XCTAssertEqual("\($0)", "f.json: no questions")
        }
        XCTAssertThrowsError(try SquadReader.read(url: URL(fileURLWithPath: "/nonexistent/squad.json"))) {
            XCTAssertEqual("\($0)", "/nonexistent/squad.json: no such file")
        }
        // a test file may leave answers out when asked
        let unlabelled = #"{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "q", "question": "?"}]}]}]}"#
        let dataset = try SquadReader.parse(Data(unlabelled.utf8), path: "t.json", requireAnswers: false)
        XCTAssertEqual(dataset.examples.map(\.hasAnswerKey), [false])
    }
}
