extension BertTokenizer {
    /// `[CLS] text [SEP]`, or `[CLS] text [SEP] pair [SEP]`; no truncation, no padding.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> Encoding {
        let first = rawTokens(of: .text(text))
        guard let pair else {
            return assemble(first, 0..<first.count, nil, nil, addSpecialTokens: addSpecialTokens)
        }
        let second = rawTokens(of: .text(pair))
        return assemble(first, 0..<first.count, second, 0..<second.count, addSpecialTokens: addSpecialTokens)
    }

    /// Pre-split words (transformers' `is_split_into_words`): word ids are the words' indices,
    /// offsets are within each word.
    public func encode(words: [String], pair: [String]? = nil, addSpecialTokens: Bool = true) -> Encoding {
        let first = rawTokens(of: .words(words))
        guard let pair else {
            return assemble(first, 0..<first.count, nil, nil, addSpecialTokens: addSpecialTokens)
        }
        let second = rawTokens(of: .words(pair))
        return assemble(first, 0..<first.count, second, 0..<second.count, addSpecialTokens: addSpecialTokens)
    }

    /// Encodes with optional truncation and padding. Returns the main encoding followed by its
    /// overflowing windows (one element without truncation or when the input fits).
    public func encode(_ input: TokenizerInput, truncation: Truncation? = nil, padding: Padding? = nil,
                       addSpecialTokens: Bool = true) throws -> [Encoding] {
        var encodings = try windows(of: input, truncation: truncation, addSpecialTokens: addSpecialTokens)
        pad(&encodings, padding)
        return encodings
    }

    func windows(of input: TokenizerInput, truncation: Truncation?, addSpecialTokens: Bool) throws -> [Encoding] {
        let first = rawTokens(of: input.first)
        let second = input.second.map { rawTokens(of: $0) }
        guard let truncation else {
            return [assemble(first, 0..<first.count, second, second.map { 0..<$0.count }, addSpecialTokens: addSpecialTokens)]
        }
        let specialCount = addSpecialTokens ? (second == nil ? 2 : 3) : 0
        let (firstWindows, secondWindows) = try truncation.plan(firstCount: first.count, secondCount: second?.count,
                                                               specialCount: specialCount)
        return Truncation.combine(firstWindows, secondWindows).map { a, b in
            assemble(first, a, second, b, addSpecialTokens: addSpecialTokens)
        }
    }
}
