import Tokenizers

/// What every encoding must satisfy, whatever the text: the guarantees the task kinds build on
/// (offsets that slice the text they came from, ids the embedding table has).
enum EncodingChecks {
    /// Checks `encoding` of `first` (and `second`) made by `tokenizer`. With `verbatim` (a cased
    /// tokenizer that keeps accents), every known token must also be its text as written: the
    /// offsets' slice less the scalars BERT's normalizer drops, with `##` on continuations.
    static func check(_ encoding: Encoding, of first: String, pair second: String? = nil, by tokenizer: BertTokenizer,
                      verbatim: Bool = false) throws(FuzzFailure) {
        let n = encoding.count
        try require([encoding.tokens.count, encoding.typeIds.count, encoding.attentionMask.count, encoding.offsets.count,
                     encoding.wordIds.count, encoding.sequenceIds.count, encoding.specialTokensMask.count].allSatisfy { $0 == n },
                    "encoding arrays of different lengths")
        let texts = [Array(first.unicodeScalars), second.map { Array($0.unicodeScalars) } ?? []]
        let vocabulary = tokenizer.vocabulary
        var lastStart = [0, 0], lastWord = [0, 0]
        for i in 0..<n {
            let id = encoding.ids[i]
            try require(vocabulary.tokens.indices.contains(id), "token \(i): id \(id) outside the vocabulary of \(vocabulary.count)")
            try require(encoding.tokens[i] == vocabulary.tokens[id], "token \(i): text \(encoding.tokens[i]) is not token \(id)")
            guard let sequence = encoding.sequenceIds[i] else {
                try require(encoding.specialTokensMask[i] == 1 && encoding.offsets[i] == 0..<0, "token \(i): an added token with offsets")
                continue
            }
            try require(sequence == 0 || (sequence == 1 && second != nil), "token \(i): sequence id \(sequence)")
            try require(encoding.typeIds[i] == sequence, "token \(i): type id \(encoding.typeIds[i]) in sequence \(sequence)")
            let text = texts[sequence], offsets = encoding.offsets[i]
            try require(!offsets.isEmpty && offsets.upperBound <= text.count,
                        "token \(i) (\(encoding.tokens[i])): offsets \(offsets) in a text of \(text.count) scalars")
            try require(offsets.lowerBound >= lastStart[sequence], "token \(i): offsets \(offsets) go back before \(lastStart[sequence])")
            lastStart[sequence] = offsets.lowerBound
            guard let word = encoding.wordIds[i] else { throw FuzzFailure(message: "token \(i): no word id") }
            try require(word >= lastWord[sequence], "token \(i): word \(word) after word \(lastWord[sequence])")
            lastWord[sequence] = word
            if verbatim && id != tokenizer.unkId {
                var written = String.UnicodeScalarView()
                written.append(contentsOf: text[offsets].filter { !droppedByNormalizer($0) })
                let piece = String(written)
                try require(encoding.tokens[i] == piece || encoding.tokens[i] == "##" + piece,
                            "token \(i) \(encoding.tokens[i]) at \(offsets), where the text reads \(piece)")
            }
        }
    }

    /// BERT's clean_text: NUL, U+FFFD and control, format, private-use and surrogate scalars go.
    static func droppedByNormalizer(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value == 0 || scalar.value == 0xFFFD { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Encodes a fixed sentence pair with a tokenizer a file configured, and checks it.
    static func checkLoaded(_ tokenizer: BertTokenizer) throws {
        let text = "Héllo, World! [MASK] naïve 東京 ##x", pair = "a [SEP] b"
        try check(tokenizer.encode(text, pair: pair), of: text, pair: pair, by: tokenizer)
    }
}
