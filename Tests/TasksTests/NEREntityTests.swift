import Foundation
import XCTest
@testable import Tasks
import Tokenizers

/// `bertkit predict` on raw text: words as BERT's basic tokenizer splits them, with their spans
/// in code points, and entities merged from word tags whose offsets slice the input.
final class NEREntityTests: XCTestCase {
    static let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-bert")

    func slice(_ text: String, _ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: Array(text.unicodeScalars)[range])
        return String(view)
    }

    func testRawTextIsSplitIntoWordsAsTheBasicTokenizerDoes() throws {
        let tokenizer = try BertTokenizer(modelFolder: Self.tinyBert)
        // whitespace, each punctuation character, each CJK character; a control character is
        // dropped; an emoji (a symbol, not punctuation) is a word; "e\u{301}" is two code points
        let text = "He\u{301}  said: \"New-York\" 😀 東京\u{07}x\tend."
        let words = RawTextWords(text: text, tokenizer: tokenizer)
        XCTAssertEqual(words.words, ["He\u{301}", "said", ":", "\"", "New", "-", "York", "\"", "😀", "東", "京", "x", "end", "."])
        for (word, span) in zip(words.words, words.spans) {
            XCTAssertEqual(slice(text, span), word)
        }
        XCTAssertEqual(words.spans.first, 0..<3)
        // He◌́ (0-2), 2 spaces, said (5-8), : (9), space, " (11), New-York (12-19), " (20), space, 😀 (22), space
        XCTAssertEqual(words.spans[9], 24..<25)
        XCTAssertEqual(words.tokens.count, words.words.count)
        XCTAssertTrue(words.tokens.allSatisfy { !$0.isEmpty })
    }

    func testEntitiesMergeBAndIRunsAndSliceTheInput() throws {
        let tokenizer = try BertTokenizer(modelFolder: Self.tinyBert)
        let text = "Hé met New-York Yankees in 東京 today"
        let words = RawTextWords(text: text, tokenizer: tokenizer)
        XCTAssertEqual(words.words, ["Hé", "met", "New", "-", "York", "Yankees", "in", "東", "京", "today"])
        let tags = ["B-PER", "O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "O", "B-LOC", "I-LOC", "O"]
        let scores = [0.9, 0.99, 0.8, 0.6, 0.7, 0.9, 0.99, 0.5, 0.7, 0.99]
        let entities = EntityMerging.entities(tags: tags, scores: scores, spans: words.spans, text: text)
        XCTAssertEqual(entities.map(\.type), ["PER", "ORG", "LOC"])
        XCTAssertEqual(entities.map(\.text), ["Hé", "New-York Yankees", "東京"])
        XCTAssertEqual(entities.map { $0.start..<$0.end }, [0..<2, 7..<23, 27..<29])
        XCTAssertEqual(entities[1].score, (0.8 + 0.6 + 0.7 + 0.9) / 4, accuracy: 1e-12)
        for entity in entities { XCTAssertEqual(slice(text, entity.start..<entity.end), entity.text) }
    }

    func testStrayAndAdjacentTagsOpenNewEntities() {
        let spans = (0..<6).map { $0 * 2..<$0 * 2 + 1 }
        let text = "a b c d e f"
        // I-X after O opens X; I-Y after X opens Y; B-Y right after Y opens another Y
        let entities = EntityMerging.entities(tags: ["O", "I-X", "I-Y", "B-Y", "I-Y", "O"],
                                              scores: [1, 1, 1, 1, 1, 1], spans: spans, text: text)
        XCTAssertEqual(entities.map(\.type), ["X", "Y", "Y"])
        XCTAssertEqual(entities.map(\.text), ["b", "c", "d e"])
    }
}
