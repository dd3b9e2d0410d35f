/// One encoded input (or one window of it): everything a model batch and the post-processing of
/// its predictions need, position by position.
public struct Encoding: Sendable, Equatable {
    /// Vocabulary ids, specials and padding included.
    public var ids: [Int]
    /// The vocabulary strings of `ids`.
    public var tokens: [String]
    /// 0 for the first sequence and its [CLS]/[SEP], 1 for the pair and its final [SEP].
    public var typeIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// Unicode code-point offsets into the original text of the token's sequence (into the word,
    /// for pre-split words); `0..<0` for specials and padding.
    public var offsets: [Range<Int>]
    /// Index of the word (pre-tokenizer split, or given word) in its sequence; nil for specials.
    public var wordIds: [Int?]
    /// 0 or 1 for tokens of the first or second sequence; nil for specials and padding.
    public var sequenceIds: [Int?]
    /// 1 for the specials the tokenizer added ([CLS], [SEP], padding), 0 for tokens from the text.
    public var specialTokensMask: [Int]

    public var count: Int { ids.count }

    public init(ids: [Int], tokens: [String], typeIds: [Int], attentionMask: [Int], offsets: [Range<Int>],
                wordIds: [Int?], sequenceIds: [Int?], specialTokensMask: [Int]) {
        self.ids = ids
        self.tokens = tokens
        self.typeIds = typeIds
        self.attentionMask = attentionMask
        self.offsets = offsets
        self.wordIds = wordIds
        self.sequenceIds = sequenceIds
        self.specialTokensMask = specialTokensMask
    }

    init(capacity: Int) {
        self.init(ids: [], tokens: [], typeIds: [], attentionMask: [], offsets: [], wordIds: [], sequenceIds: [],
                  specialTokensMask: [])
        ids.reserveCapacity(capacity)
        tokens.reserveCapacity(capacity)
        typeIds.reserveCapacity(capacity)
        attentionMask.reserveCapacity(capacity)
        offsets.reserveCapacity(capacity)
        wordIds.reserveCapacity(capacity)
        sequenceIds.reserveCapacity(capacity)
        specialTokensMask.reserveCapacity(capacity)
    }

    mutating func append(id: Int, token: String, typeId: Int, offset: Range<Int>, wordId: Int?, sequenceId: Int?,
                         special: Bool, attention: Int = 1) {
        ids.append(id)
        tokens.append(token)
        typeIds.append(typeId)
        attentionMask.append(attention)
        offsets.append(offset)
        wordIds.append(wordId)
        sequenceIds.append(sequenceId)
        specialTokensMask.append(special ? 1 : 0)
    }
}
