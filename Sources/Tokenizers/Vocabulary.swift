import Foundation

/// WordPiece vocabulary: vocab.txt, one token per line, id = line number (from 0).
public final class Vocabulary: Sendable {
    /// Tokens by id.
    public let tokens: [String]
    let trie: VocabularyTrie
    /// Trie node reached by the continuation prefix `##`: continuation lookups start here.
    let continuationNode: Int32
    private let ids: [String: Int]

    public var count: Int { tokens.count }

    /// Reads vocab.txt. Lines lose trailing whitespace (as the Rust library reads them).
    public convenience init(contentsOf url: URL) throws {
        try TokenizerFileSize.check(url)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError.vocabularyMissing(path: url.path)
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map {
            line -> String in
            var scalars = line.unicodeScalars[...]
            while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
            return String(scalars)
        }
        // A final newline does not start another token.
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty, lines.contains(where: { !$0.isEmpty }) else {
            throw TokenizerError.vocabularyEmpty(path: url.path)
        }
        self.init(tokens: lines)
    }

    public init(tokens: [String], continuationPrefix: String = "##") {
        self.tokens = tokens
        var trie = VocabularyTrie(expectedScalars: tokens.reduce(0) { $0 + $1.unicodeScalars.count })
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            ids[token] = id
            trie.insert(token.unicodeScalars.lazy.map(\.value), id: Int32(id))
        }
        // id -1 leaves the id of a token spelled exactly `##` in place.
        continuationNode = trie.insert(continuationPrefix.unicodeScalars.lazy.map(\.value), id: -1)
        self.trie = trie
        self.ids = ids
    }

    /// The id of `token`, or nil.
    public func id(of token: String) -> Int? { ids[token] }

    /// The token of `id`, or nil when out of range.
    public func token(of id: Int) -> String? { tokens.indices.contains(id) ? tokens[id] : nil }
}
