import Foundation
import XCTest
@testable import Tokenizers

/// The JSON-lines engine of `bertkit tokenize`, checked against the reference fixtures.
final class TokenizerJSONLinesTests: XCTestCase {
    private struct Output: Decodable {
        var ids: [Int]
        var tokens: [String]
        var offsets: [[Int]]
        var word_ids: [Int?]
        var type_ids: [Int]
        var sequence_ids: [Int?]?
        var attention_mask: [Int]?
    }

    private struct Windows: Decodable { var windows: [Output] }

    private func jsonLine(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func testTextPairAndWordsLines() throws {
        let lines = TokenizerJSONLines(tokenizer: try miniLMTokenizer())
        let single = try fixtureRows("single-uncased.jsonl")[1]
        let out = try JSONDecoder().decode(Output.self, from: Data(try lines.process(line: jsonLine(["text": single.text!]), lineNumber: 1).utf8))
        XCTAssertEqual(out.ids, single.ids)
        XCTAssertEqual(out.tokens, single.tokens)
        XCTAssertEqual(out.offsets, single.offsets)
        XCTAssertEqual(out.word_ids, single.word_ids)
        XCTAssertEqual(out.type_ids, single.type_ids)

        let pair = try fixtureRows("pairs-uncased.jsonl")[3]
        let pairLine = try jsonLine(["text": pair.text!, "text_pair": pair.text_pair!])
        let pairOut = try JSONDecoder().decode(Output.self, from: Data(try lines.process(line: pairLine, lineNumber: 2).utf8))
        XCTAssertEqual(pairOut.ids, pair.ids)
        XCTAssertEqual(pairOut.offsets, pair.offsets)
        XCTAssertEqual(pairOut.type_ids, pair.type_ids)

        let words = try fixtureRows("words-uncased.jsonl")[0]
        let wordsOut = try JSONDecoder().decode(Output.self, from: Data(try lines.process(line: jsonLine(["words": words.words!]), lineNumber: 3).utf8))
        XCTAssertEqual(wordsOut.ids, words.ids)
        XCTAssertEqual(wordsOut.word_ids, words.word_ids)
        XCTAssertEqual(wordsOut.offsets, words.offsets)
    }

    /// A text starting with U+FEFF (dropped by JSONSerialization) keeps its offsets.
    func testLeadingByteOrderMarkKeepsOffsets() throws {
        let lines = TokenizerJSONLines(tokenizer: try miniLMTokenizer())
        let row = try XCTUnwrap(try fixtureRows("single-uncased.jsonl").first { $0.text?.unicodeScalars.first == "\u{FEFF}" })
        let line = "{\"text\": " + TokenizerJSONLines.quoted(row.text!) + "}"
        let out = try JSONDecoder().decode(Output.self, from: Data(try lines.process(line: line, lineNumber: 1).utf8))
        XCTAssertEqual(out.offsets, row.offsets)
    }

    func testQuestionAnsweringWindows() throws {
        let row = try XCTUnwrap(try fixtureRows("qa-windows-uncased.jsonl").first { $0.max_length == 64 && ($0.windows?.count ?? 0) > 2 })
        let lines = TokenizerJSONLines(tokenizer: try miniLMTokenizer(),
                                       windowing: Truncation(maxLength: 64, strategy: .onlySecond, stride: 16), padding: .fixed(64))
        let question = String(row.question!.drop(while: { $0.isWhitespace }))
        let out = try JSONDecoder().decode(Windows.self, from: Data(try lines.process(line: jsonLine(["text": question, "text_pair": row.context!]), lineNumber: 1).utf8))
        XCTAssertEqual(out.windows.count, row.windows!.count)
        for (got, reference) in zip(out.windows, row.windows!) {
            XCTAssertEqual(got.ids, reference.ids)
            XCTAssertEqual(got.offsets, reference.offsets)
            XCTAssertEqual(got.sequence_ids, reference.sequence_ids)
            XCTAssertEqual(got.attention_mask, reference.attention_mask)
            XCTAssertEqual(got.type_ids, reference.type_ids)
        }
    }

    func testInvalidLinesCarryTheLineNumber() throws {
        let lines = TokenizerJSONLines(tokenizer: try miniLMTokenizer())
        for (bad, number) in [("{not json", 7), ("[1, 2]", 8), (#"{"other": 1}"#, 9), (#"{"text": 5}"#, 10), (#"{"words": "a b"}"#, 11)] {
            XCTAssertThrowsError(try lines.process(line: bad, lineNumber: number), bad) { error in
                guard case .invalidJSONLine(let line, _)? = error as? TokenizerError else { return XCTFail("unexpected \(error)") }
                XCTAssertEqual(line, number)
            }
        }
    }

    func testQuotedEscapes() {
        let quoted = TokenizerJSONLines.quoted("a\"b\\c\n\u{1}é")
        XCTAssertEqual(try JSONDecoder().decode(String.self, from: Data(quoted.utf8)), "a\"b\\c\n\u{1}é")
    }
}
