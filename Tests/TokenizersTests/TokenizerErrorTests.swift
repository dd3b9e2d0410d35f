import Foundation
import XCTest
@testable import Tokenizers

/// Loading errors and the edge cases of the issue: empty input, over-long words, bad truncation.
final class TokenizerErrorTests: XCTestCase {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testMissingVocabularyNamesThePath() throws {
        let folder = try temporaryFolder()
        XCTAssertThrowsError(try BertTokenizer(modelFolder: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .vocabularyMissing(path: folder.appendingPathComponent("vocab.txt").path))
            XCTAssertTrue("\(error)".contains("vocab.txt"))
        }
    }

    func testEmptyVocabularyNamesThePath() throws {
        let folder = try temporaryFolder()
        let vocab = folder.appendingPathComponent("vocab.txt")
        try Data().write(to: vocab)
        XCTAssertThrowsError(try BertTokenizer(modelFolder: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .vocabularyEmpty(path: vocab.path))
        }
        try Data("\n\n".utf8).write(to: vocab)
        XCTAssertThrowsError(try BertTokenizer(modelFolder: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .vocabularyEmpty(path: vocab.path))
        }
    }

    func testVocabularyWithoutSpecialTokenIsRejected() throws {
        let folder = try temporaryFolder()
        try Data("[PAD]\n[UNK]\n[CLS]\nhello\n".utf8).write(to: folder.appendingPathComponent("vocab.txt"))
        XCTAssertThrowsError(try BertTokenizer(modelFolder: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .specialTokenNotInVocabulary(token: "[SEP]", role: "sep_token"))
        }
    }

    func testBadConfigurationNamesTheKey() throws {
        let folder = try temporaryFolder()
        try FileManager.default.copyItem(at: tokenizerFixtures.appendingPathComponent("vocab.txt"),
                                         to: folder.appendingPathComponent("vocab.txt"))
        let config = folder.appendingPathComponent("tokenizer_config.json")
        try Data(#"{"do_lower_case": "yes"}"#.utf8).write(to: config)
        XCTAssertThrowsError(try BertTokenizer(modelFolder: folder)) { error in
            guard case .invalidConfiguration(let path, let key, _)? = error as? TokenizerError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(path, config.path)
            XCTAssertEqual(key, "do_lower_case")
        }
        try Data("{not json".utf8).write(to: config)
        XCTAssertThrowsError(try BertTokenizer(modelFolder: folder))
    }

    /// The MiniLM config says do_lower_case true; special-token ids come from vocab.txt.
    func testConfigurationAndSpecialIdsFromTheFiles() throws {
        let tokenizer = try miniLMTokenizer()
        XCTAssertTrue(tokenizer.options.lowercase)
        XCTAssertNil(tokenizer.options.stripAccents)
        XCTAssertTrue(tokenizer.options.stripsAccents)
        let lines = try String(contentsOf: tokenizerFixtures.appendingPathComponent("vocab.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[tokenizer.clsId], "[CLS]")
        XCTAssertEqual(lines[tokenizer.sepId], "[SEP]")
        XCTAssertEqual(lines[tokenizer.padId], "[PAD]")
        XCTAssertEqual(lines[tokenizer.unkId], "[UNK]")
        XCTAssertEqual(tokenizer.maskId.map { String(lines[$0]) }, "[MASK]")
        XCTAssertFalse(try miniLMTokenizer(lowercase: false).options.stripsAccents)
    }

    func testEmptyTextGivesOnlySpecials() throws {
        let tokenizer = try miniLMTokenizer()
        for text in ["", "   ", "\u{0}\u{200B}"] {
            let encoding = tokenizer.encode(text)
            XCTAssertEqual(encoding.tokens, ["[CLS]", "[SEP]"])
            XCTAssertEqual(encoding.ids, [tokenizer.clsId, tokenizer.sepId])
            XCTAssertEqual(encoding.offsets, [0..<0, 0..<0])
            XCTAssertEqual(encoding.wordIds, [nil, nil])
            XCTAssertEqual(encoding.specialTokensMask, [1, 1])
        }
        XCTAssertEqual(tokenizer.encode("", pair: "").tokens, ["[CLS]", "[SEP]", "[SEP]"])
        XCTAssertEqual(tokenizer.encode(words: []).tokens, ["[CLS]", "[SEP]"])
    }

    func testWordLongerThan100CharactersIsUnknown() throws {
        let tokenizer = try miniLMTokenizer()
        let long = String(repeating: "ab", count: 51)  // 102 characters, each piece in the vocabulary
        let encoding = tokenizer.encode("short " + long + " end")
        XCTAssertEqual(encoding.tokens, ["[CLS]", "short", "[UNK]", "end", "[SEP]"])
        XCTAssertEqual(encoding.offsets[2], 6..<108)
        // Exactly 100 characters is still split into pieces.
        XCTAssertFalse(tokenizer.encode(String(long.prefix(100))).tokens.contains("[UNK]"))
    }

    func testTruncationErrors() throws {
        let tokenizer = try miniLMTokenizer()
        let long = String(repeating: "word ", count: 50)
        XCTAssertThrowsError(try tokenizer.encode(.text(long), truncation: Truncation(maxLength: 16, strategy: .onlySecond))) {
            XCTAssertEqual($0 as? TokenizerError, .secondSequenceMissing)
        }
        XCTAssertThrowsError(try tokenizer.encode(.text(long, pair: "a b"), truncation: Truncation(maxLength: 2))) {
            guard case .cannotTruncate? = $0 as? TokenizerError else { return XCTFail("unexpected \($0)") }
        }
        // Question of 50 tokens cannot leave room in 32 for the context.
        XCTAssertThrowsError(try tokenizer.encode(.text(long, pair: "a b"), truncation: Truncation(maxLength: 32, strategy: .onlySecond))) {
            guard case .cannotTruncate? = $0 as? TokenizerError else { return XCTFail("unexpected \($0)") }
        }
        XCTAssertThrowsError(try tokenizer.encode(.text("q", pair: long), truncation: Truncation(maxLength: 16, strategy: .onlySecond, stride: 12))) {
            XCTAssertEqual($0 as? TokenizerError, .strideTooLarge(stride: 12, windowLength: 12))
        }
    }

    /// Windows overlap by exactly `stride` tokens, and padding `.longest` pads to the main window.
    func testStrideIsTheOverlap() throws {
        let tokenizer = try miniLMTokenizer()
        let context = (0..<40).map { "w\($0)" }.joined(separator: " ")
        let windows = try tokenizer.encode(.text("q", pair: context),
                                           truncation: Truncation(maxLength: 20, strategy: .onlySecond, stride: 5), padding: .longest)
        XCTAssertGreaterThan(windows.count, 2)
        for (a, b) in zip(windows, windows.dropFirst()) {
            let contextA = zip(a.ids, a.sequenceIds).filter { $0.1 == 1 }.map(\.0)
            let contextB = zip(b.ids, b.sequenceIds).filter { $0.1 == 1 }.map(\.0)
            XCTAssertEqual(Array(contextA.suffix(5)), Array(contextB.prefix(5)))
        }
        XCTAssertTrue(windows.allSatisfy { $0.count == 20 })
        XCTAssertEqual(windows.last?.attentionMask.last, 0)
    }

    func testDecodeJoinsPieces() throws {
        let tokenizer = try miniLMTokenizer()
        // Reference tokens from single-uncased.jsonl: bert revolution ##ized natural language processing .
        let row = try fixtureRows("single-uncased.jsonl")[0]
        XCTAssertEqual(row.tokens?[2...3], ["revolution", "##ized"])
        XCTAssertEqual(tokenizer.decode(row.ids ?? []), "bert revolutionized natural language processing.")
        XCTAssertEqual(tokenizer.decode(row.ids ?? [], skipSpecialTokens: false, cleanUpSpaces: false),
                       "[CLS] bert revolutionized natural language processing . [SEP]")
    }
}
