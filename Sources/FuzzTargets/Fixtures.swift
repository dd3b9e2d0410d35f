import Foundation
import Tokenizers

/// What the targets share with the test suite: the small vocabulary of Tests/Fixtures/tiny-bert
/// (2,000 tokens of all-MiniLM-L6-v2's), found from this file's place in the source tree, so the
/// fuzzer built from a checkout and the tests read the same one.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures")

    static let vocabularyURL = folder.appendingPathComponent("tiny-bert/vocab.txt")
    static let vocabularyBytes: [UInt8] = Array(FileManager.default.contents(atPath: vocabularyURL.path)!)
    static let vocabulary = try! Vocabulary(contentsOf: vocabularyURL)

    /// BERT's uncased defaults (lower-case, strip accents), as the fixture models were trained.
    static let uncased = try! BertTokenizer(vocabulary: vocabulary)
    /// Cased and accents kept: every token is then a piece of the text as written.
    static let cased = try! BertTokenizer(vocabulary: vocabulary, options: TokenizerOptions(lowercase: false, stripAccents: false))
}
