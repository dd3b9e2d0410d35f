import Foundation
import XCTest
@testable import Tokenizers

/// Sizes a tokenizer's files ask for: a vocabulary file past what 32-bit ids count is refused
/// before it is read, naming the file; ids and duplicates in the files are read as the Rust
/// library reads them, without trapping.
final class TokenizerFileSizeTests: XCTestCase {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-toksize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A sparse file of `size` bytes (no disk is used for the hole) starting with `prefix`.
    private func sparseFile(_ url: URL, size: Int, prefix: String) throws {
        try Data(prefix.utf8).write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
    }

    func testAVocabularyFilePastTheLimitIsRefusedBeforeReading() throws {
        let size = TokenizerFileSize.limit + 1
        for name in ["vocab.txt", "tokenizer.json"] {
            let folder = try temporaryFolder()
            let url = folder.appendingPathComponent(name)
            try sparseFile(url, size: size, prefix: name == "vocab.txt" ? "[PAD]\n[UNK]\n" : "{\"model\": ")
            XCTAssertThrowsError(try BertTokenizer(modelFolder: folder), name) { error in
                XCTAssertEqual(error as? TokenizerError, .fileTooLarge(path: url.path, size: size, limit: 1 << 30))
                XCTAssertEqual("\(error)", "\(url.path): 1073741825 bytes, more than the 1073741824 BertKit reads from a "
                               + "tokenizer file (token ids are 32-bit)")
            }
        }
    }

    func testASettingsFilePastTheLimitIsRefusedToo() throws {
        let folder = try temporaryFolder()
        try FileManager.default.copyItem(at: tokenizerFixtures.appendingPathComponent("vocab.txt"),
                                         to: folder.appendingPathComponent("vocab.txt"))
        let config = folder.appendingPathComponent("tokenizer_config.json")
        try sparseFile(config, size: TokenizerFileSize.limit + 10, prefix: "{")
        XCTAssertThrowsError(try BertTokenizer(modelFolder: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .fileTooLarge(path: config.path, size: TokenizerFileSize.limit + 10, limit: 1 << 30))
        }
    }

    func testAFileAtTheLimitIsRead() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("vocab.txt")
        try Data("x".utf8).write(to: url)
        XCTAssertNoThrow(try TokenizerFileSize.check(url))
        XCTAssertNoThrow(try TokenizerFileSize.check(folder.appendingPathComponent("absent.txt")), "the reader names a missing file")
    }

    /// A token listed twice in vocab.txt: the later line's id wins, as in the Rust library's
    /// vocabulary map (transformers reads such files); the earlier id only decodes.
    func testADuplicateTokenTakesItsLaterId() throws {
        let folder = try temporaryFolder()
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n".utf8).write(to: folder.appendingPathComponent("vocab.txt"))
        let tokenizer = try BertTokenizer(modelFolder: folder)
        XCTAssertEqual(tokenizer.vocabulary.count, 7)
        XCTAssertEqual(tokenizer.vocabulary.id(of: "hello"), 6)
        XCTAssertEqual(try tokenizer.encode(.text("hello world", pair: nil))[0].ids, [2, 6, 5, 3])
        XCTAssertEqual(tokenizer.vocabulary.token(of: 4), "hello")
    }

    /// tokenizer.json ids far past the vocabulary, or past Int, are refused by key.
    func testTokenizerJSONIdsPastTheVocabularyAreRefused() throws {
        let folder = try temporaryFolder()
        let url = folder.appendingPathComponent("tokenizer.json")
        for id in ["1000000000000", "1e300", "18446744073709551616"] {
            let json = #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[UNK]": \#(id)}}}"#
            try Data(json.utf8).write(to: url)
            XCTAssertThrowsError(try BertTokenizer(modelFolder: folder), id) { error in
                XCTAssertTrue("\(error)".hasPrefix("\(url.path): model.vocab[\"[UNK]\"] is "), "\(error)")
                XCTAssertTrue("\(error)".hasSuffix("; BertKit supports ids 0..<2, each once"), "\(error)")
            }
        }
    }
}
