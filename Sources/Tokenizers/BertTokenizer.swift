import Foundation

/// BERT's WordPiece tokenizer, matching Hugging Face's fast tokenizer (BertNormalizer,
/// BertPreTokenizer, WordPiece, BertProcessing) id for id and offset for offset.
///
///     let tokenizer = try BertTokenizer(modelFolder: url)
///     let encoding = tokenizer.encode("Hello, world!", pair: "Bonjour")
public struct BertTokenizer: Sendable {
    public let vocabulary: Vocabulary
    public let options: TokenizerOptions
    /// Ids of the special tokens, read from the vocabulary (never assumed).
    public let clsId: Int
    public let sepId: Int
    public let padId: Int
    public let unkId: Int
    public let maskId: Int?
    let encoder: WordPieceEncoder

    public init(vocabulary: Vocabulary, options: TokenizerOptions = TokenizerOptions()) throws {
        func required(_ token: String, _ role: String) throws -> Int {
            guard let id = vocabulary.id(of: token) else {
                throw TokenizerError.specialTokenNotInVocabulary(token: token, role: role)
            }
            return id
        }
        self.vocabulary = vocabulary
        self.options = options
        clsId = try required(options.clsToken, "cls_token")
        sepId = try required(options.sepToken, "sep_token")
        padId = try required(options.padToken, "pad_token")
        unkId = try required(options.unkToken, "unk_token")
        maskId = vocabulary.id(of: options.maskToken)
        // Specials found in the text are kept whole, as the Rust library's added vocabulary does.
        let specialIds = [options.unkToken, options.sepToken, options.clsToken, options.padToken, options.maskToken]
            .compactMap { token in vocabulary.id(of: token).map { (token, $0) } }
        encoder = WordPieceEncoder(vocabulary: vocabulary, options: options, unknownId: unkId, specialIds: specialIds)
    }

    /// The ids [CLS]/[SEP]/[PAD]/[UNK]/[MASK]: skipped by `decode(_:skipSpecialTokens:)`.
    public var specialIds: Set<Int> { Set([clsId, sepId, padId, unkId] + (maskId.map { [$0] } ?? [])) }

    // MARK: - One sequence to raw tokens

    func rawTokens(of sequence: TokenizerSequence) -> RawTokens {
        switch sequence {
        case .text(let text):
            var out = RawTokens(capacity: text.utf8.count / 3 + 4)
            withScalars(of: text) { _ = encoder.encode($0, into: &out) }
            return out
        case .words(let words):
            // Each word is its own sequence (transformers' is_split_into_words): offsets within
            // the word, word id = the word's index.
            var out = RawTokens(capacity: words.count * 2)
            for (index, word) in words.enumerated() {
                withScalars(of: word) { _ = encoder.encode($0, fixedWordId: Int32(index), into: &out) }
            }
            return out
        }
    }

    /// [CLS] first [SEP] (second [SEP]) from slices of raw tokens.
    func assemble(_ first: RawTokens, _ firstRange: Range<Int>, _ second: RawTokens?, _ secondRange: Range<Int>?,
                  addSpecialTokens: Bool) -> Encoding {
        let total = firstRange.count + (secondRange?.count ?? 0) + (addSpecialTokens ? (second == nil ? 2 : 3) : 0)
        var encoding = Encoding(capacity: total)
        let tokens = vocabulary.tokens
        func special(_ id: Int, typeId: Int) {
            encoding.append(id: id, token: tokens[id], typeId: typeId, offset: 0..<0, wordId: nil, sequenceId: nil,
                            special: true)
        }
        func sequence(_ raw: RawTokens, _ range: Range<Int>, _ index: Int) {
            for i in range {
                let id = Int(raw.ids[i])
                encoding.append(id: id, token: tokens[id], typeId: index, offset: Int(raw.starts[i])..<Int(raw.ends[i]),
                                wordId: Int(raw.wordIds[i]), sequenceId: index, special: false)
            }
        }
        if addSpecialTokens { special(clsId, typeId: 0) }
        sequence(first, firstRange, 0)
        if addSpecialTokens { special(sepId, typeId: 0) }
        if let second, let secondRange {
            sequence(second, secondRange, 1)
            if addSpecialTokens { special(sepId, typeId: 1) }
        }
        return encoding
    }
}
