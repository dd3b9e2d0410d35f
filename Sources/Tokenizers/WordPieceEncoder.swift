/// The per-sequence pipeline of Hugging Face's fast BERT tokenizer, fused into one pass over the
/// scalars: special tokens matched in the raw text (never split), BertNormalizer (clean text,
/// space CJK ideographs, strip accents, lower-case), BertPreTokenizer (split on whitespace,
/// isolate punctuation) and WordPiece (greedy longest match with `##` continuations).
///
/// Every normalized scalar comes from exactly one original scalar, so a token's offsets are
/// (origin of its first scalar, origin of its last scalar + 1), which is what the Rust library's
/// alignments give: a dropped scalar (control, accent) widens nothing.
struct WordPieceEncoder: Sendable {
    let vocabulary: Vocabulary
    let lowercase: ScalarMap?
    let stripAccents: ScalarMap?
    let isolatesChinese: Bool
    let maxCharactersPerWord: Int
    let unknownId: Int32
    /// Special tokens matched in the raw text, longest first (leftmost-longest matching).
    let specials: [(scalars: [UInt32], id: Int32)]
    let specialFirstScalars: [UInt32]

    init(vocabulary: Vocabulary, options: TokenizerOptions, unknownId: Int, specialIds: [(String, Int)]) {
        self.vocabulary = vocabulary
        lowercase = options.lowercase ? ScalarTables.lowercase : nil
        stripAccents = options.stripsAccents ? ScalarTables.strippedAccents : nil
        isolatesChinese = options.tokenizeChineseChars
        maxCharactersPerWord = options.maxCharactersPerWord
        self.unknownId = Int32(unknownId)
        let specials = specialIds.filter { !$0.0.isEmpty }
            .map { (scalars: $0.0.unicodeScalars.map(\.value), id: Int32($0.1)) }
            .sorted { $0.scalars.count > $1.scalars.count }
        self.specials = specials
        specialFirstScalars = Array(Set(specials.map { $0.scalars[0] })).sorted()
        _ = ScalarTables.kinds
    }

    /// Scratch space for the word being built, reused across words.
    struct WordBuffer {
        var scalars: [UInt32] = []
        var origins: [Int32] = []
        init() {
            scalars.reserveCapacity(64)
            origins.reserveCapacity(64)
        }
    }

    /// Tokenizes one sequence and appends its tokens to `out`. Word ids count the sequence's
    /// words from 0, unless `fixedWordId` is given (a pre-split word). Offsets are scalar indices
    /// into `text`. Returns the number of words seen.
    @discardableResult
    func encode(_ text: UnsafeBufferPointer<UInt32>, fixedWordId: Int32? = nil, into out: inout RawTokens) -> Int32 {
        var word = WordBuffer()
        var nextWord: Int32 = 0
        let kinds = ScalarTables.kinds
        let hasSpecials = !specials.isEmpty

        func flush() {
            if word.scalars.isEmpty { return }
            wordPiece(word, wordId: fixedWordId ?? nextWord, into: &out)
            nextWord += 1
            word.scalars.removeAll(keepingCapacity: true)
            word.origins.removeAll(keepingCapacity: true)
        }
        // The pre-tokenizer's view of one normalized scalar.
        func push(_ scalar: UInt32, _ origin: Int32) {
            let kind = scalar < 0x80 ? kinds[Int(scalar)] : ScalarTables.kind(scalar)
            if kind & ScalarKind.punctuation != 0 {
                flush()
                word.scalars.append(scalar)
                word.origins.append(origin)
                flush()
            } else if kind & ScalarKind.space != 0 {
                flush()
            } else {
                word.scalars.append(scalar)
                word.origins.append(origin)
            }
        }
        // The normalizer's accent stripping and lower-casing of one cleaned scalar.
        func normalize(_ scalar: UInt32, _ origin: Int32) {
            if let stripAccents {
                stripAccents.forEach(scalar) { stripped in
                    if let lowercase { lowercase.forEach(stripped) { push($0, origin) } } else { push(stripped, origin) }
                }
            } else if let lowercase {
                lowercase.forEach(scalar) { push($0, origin) }
            } else {
                push(scalar, origin)
            }
        }

        var i = 0
        let n = text.count
        while i < n {
            let c = text[i]
            if hasSpecials, specialFirstScalars.contains(c), let (id, length) = matchSpecial(text, at: i) {
                flush()
                out.append(id: id, start: Int32(i), end: Int32(i + length), wordId: fixedWordId ?? nextWord)
                nextWord += 1
                i += length
                continue
            }
            if c < 0x80 {
                // ASCII: no accents; letters lower-case by table, the rest is a kind lookup.
                let kind = kinds[Int(c)]
                if kind == 0 {
                    let lowered = (lowercase != nil && c >= 0x41 && c <= 0x5A) ? c + 32 : c
                    word.scalars.append(lowered)
                    word.origins.append(Int32(i))
                } else if kind & ScalarKind.space != 0 {
                    flush()
                } else if kind & ScalarKind.punctuation != 0 {
                    flush()
                    word.scalars.append(c)
                    word.origins.append(Int32(i))
                    flush()
                }
            } else {
                let kind = ScalarTables.kind(c)
                if kind & ScalarKind.removed != 0 {
                    // clean_text drops it
                } else if kind & ScalarKind.space != 0 {
                    flush()
                } else if kind & ScalarKind.chinese != 0 && isolatesChinese {
                    flush()
                    normalize(c, Int32(i))
                    flush()
                } else {
                    normalize(c, Int32(i))
                }
            }
            i += 1
        }
        flush()
        return nextWord
    }

    /// The longest special token spelled at `text[start...]`, if any.
    private func matchSpecial(_ text: UnsafeBufferPointer<UInt32>, at start: Int) -> (Int32, Int)? {
        for special in specials where start + special.scalars.count <= text.count {
            var matches = true
            for (k, s) in special.scalars.enumerated() where text[start + k] != s {
                matches = false
                break
            }
            if matches { return (special.id, special.scalars.count) }
        }
        return nil
    }

    /// WordPiece on one normalized word: greedy longest match from the left, continuations
    /// looked up under `##`; a word with any unmatched rest, or longer than the limit, is one
    /// unknown token spanning the whole word.
    private func wordPiece(_ word: WordBuffer, wordId: Int32, into out: inout RawTokens) {
        let n = word.scalars.count
        let wordStart = word.origins[0], wordEnd = word.origins[n - 1] + 1
        if n > maxCharactersPerWord {
            out.append(id: unknownId, start: wordStart, end: wordEnd, wordId: wordId)
            return
        }
        let mark = out.count
        let trie = vocabulary.trie
        let continuation = vocabulary.continuationNode
        word.scalars.withUnsafeBufferPointer { scalars in
            var start = 0
            while start < n {
                let (id, end) = trie.longestMatch(scalars, from: start, node: start == 0 ? VocabularyTrie.root : continuation)
                if id < 0 {
                    out.truncate(to: mark)
                    out.append(id: unknownId, start: wordStart, end: wordEnd, wordId: wordId)
                    return
                }
                out.append(id: id, start: word.origins[start], end: word.origins[end - 1] + 1, wordId: wordId)
                start = end
            }
        }
    }
}
