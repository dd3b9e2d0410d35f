import Tokenizers

// `bertkit predict` on raw text: the text is split into words exactly as BERT's basic tokenizer
// splits it (whitespace, then each punctuation character and each CJK character on its own),
// by the tokenizer itself: its word ids group the sub-tokens and its offsets give each word's
// span in the input, in Unicode code points. Characters the tokenizer drops (control characters)
// belong to no word.

struct RawTextWords: Sendable, Equatable {
    /// Each word's text, sliced from the input.
    var words: [String]
    /// Each word's sub-token ids.
    var tokens: [[Int32]]
    /// Each word's span in the input, in code points.
    var spans: [Range<Int>]

    init(text: String, tokenizer: BertTokenizer) {
        let encoding = tokenizer.encode(text, addSpecialTokens: false)
        let scalars = Array(text.unicodeScalars)
        var words: [String] = [], tokens: [[Int32]] = [], spans: [Range<Int>] = []
        var current: Int?
        for (i, word) in encoding.wordIds.enumerated() {
            guard let word else { continue }
            let offset = encoding.offsets[i]
            if word == current {
                tokens[tokens.count - 1].append(Int32(encoding.ids[i]))
                spans[spans.count - 1] = spans[spans.count - 1].lowerBound..<max(spans[spans.count - 1].upperBound, offset.upperBound)
            } else {
                current = word
                tokens.append([Int32(encoding.ids[i])])
                spans.append(offset)
            }
        }
        // Accent stripping drops combining marks from the tokens' offsets; a word keeps the
        // marks that follow it in the input ("e\u{301}" stays whole).
        for i in spans.indices {
            let limit = i + 1 < spans.count ? spans[i + 1].lowerBound : scalars.count
            var end = spans[i].upperBound
            while end < limit && Self.isMark(scalars[end]) { end += 1 }
            spans[i] = spans[i].lowerBound..<end
            words.append(Self.slice(scalars, spans[i]))
        }
        self.words = words
        self.tokens = tokens
        self.spans = spans
    }

    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    static func slice(_ scalars: [Unicode.Scalar], _ range: Range<Int>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[range.clamped(to: 0..<scalars.count)])
        return String(view)
    }
}

/// An entity predicted in raw text: its type, its span in code points and the text of that span.
struct PredictedEntity: Sendable, Equatable {
    var type: String
    var start: Int
    var end: Int
    var text: String
    /// The mean, over the entity's words, of the probability of each word's predicted tag.
    var score: Double
}

enum EntityMerging {
    /// Merges per-word tags into entities: "B-X" (or "S-X") opens an X entity, "I-X" (or "E-X")
    /// continues an open X entity and otherwise opens one (seqeval's default reading), "O" closes;
    /// an "E-X" or "S-X" closes after its word. The entity spans from its first word's start to
    /// its last word's end, so it may include the spaces between words.
    static func entities(tags: [String], scores: [Double], spans: [Range<Int>], text: String) -> [PredictedEntity] {
        let scalars = Array(text.unicodeScalars)
        var result: [PredictedEntity] = []
        var open: (type: Substring, first: Int, last: Int, scoreSum: Double)?
        func close() {
            guard let entity = open else { return }
            let range = spans[entity.first].lowerBound..<spans[entity.last].upperBound
            result.append(PredictedEntity(type: String(entity.type), start: range.lowerBound, end: range.upperBound,
                                          text: RawTextWords.slice(scalars, range),
                                          score: entity.scoreSum / Double(entity.last - entity.first + 1)))
            open = nil
        }
        for (i, tag) in tags.enumerated() {
            guard let (prefix, type) = NERLabels.split(tag) else { close(); continue }
            if (prefix == "I" || prefix == "E"), let entity = open, entity.type == type {
                open = (type, entity.first, i, entity.scoreSum + scores[i])
            } else {
                close()
                open = (type, i, i, scores[i])
            }
            if prefix == "E" || prefix == "S" { close() }
        }
        close()
        return result
    }
}
