import Foundation

/// The largest vocabulary file BertKit reads (vocab.txt, tokenizer.json; the small JSON settings
/// files too). Token ids and the vocabulary trie's node ids are Int32: a file of at most 2^30
/// bytes has fewer tokens, and fewer trie nodes (one per scalar at most), than they can count.
/// Real vocabularies are a few megabytes; a larger file is refused before it is read.
enum TokenizerFileSize {
    static let limit = 1 << 30

    /// Throws `fileTooLarge` for a file past `limit`; a file that cannot be examined passes, for
    /// its reader to name the problem.
    static func check(_ url: URL) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = (attributes[.size] as? NSNumber)?.int64Value, size > Int64(limit) else { return }
        throw TokenizerError.fileTooLarge(path: url.path, size: Int(size), limit: limit)
    }
}
