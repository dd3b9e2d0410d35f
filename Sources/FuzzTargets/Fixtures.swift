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
    static let vocabulary = try! Vocabulary(contentsOf: vocabularyURL)

    /// A vocab.txt of 160 tokens (BERT's specials at their ids, letters, a few pieces and words)
    /// for the targets that read a model folder's tokenizer files on every input: a 2,000-token
    /// file would make reading it most of their time.
    static let smallVocabularyBytes: [UInt8] = {
        var tokens = ["[PAD]"] + (0..<99).map { "[unused\($0)]" } + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tokens += "abcdefghijklmnopqrstuvwxyz".map { String($0) } + "abcdefghijklmnopqrstuvwxyz".map { "##\($0)" }
        tokens += [".", ",", "!", "?", "'", "-", "the", "cat", "##s", "##ing", "é", "東", "京", "##"]
        return Array((tokens.joined(separator: "\n") + "\n").utf8)
    }()

    /// BERT's uncased defaults (lower-case, strip accents), as the fixture models were trained.
    static let uncased = try! BertTokenizer(vocabulary: vocabulary)
    /// Cased and accents kept: every token is then a piece of the text as written.
    static let cased = try! BertTokenizer(vocabulary: vocabulary, options: TokenizerOptions(lowercase: false, stripAccents: false))
}
