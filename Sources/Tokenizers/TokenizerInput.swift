/// One sequence to encode: raw text, or words already split (the NER path).
public enum TokenizerSequence: Sendable, Equatable {
    case text(String)
    case words([String])
}

/// What `BertTokenizer.encode(_:truncation:padding:)` takes: a sequence, or a pair of them.
public struct TokenizerInput: Sendable, Equatable {
    public var first: TokenizerSequence
    public var second: TokenizerSequence?

    public init(_ first: TokenizerSequence, pair second: TokenizerSequence? = nil) {
        self.first = first
        self.second = second
    }

    public static func text(_ text: String, pair: String? = nil) -> TokenizerInput {
        TokenizerInput(.text(text), pair: pair.map { .text($0) })
    }

    public static func words(_ words: [String], pair: [String]? = nil) -> TokenizerInput {
        TokenizerInput(.words(words), pair: pair.map { .words($0) })
    }
}
