import Foundation
import Heads
import Tokenizers

// Sentences -> model features: each word's sub-tokens, windows (NERWindows), labels aligned to
// tokens, and for each feature the words it predicts.
//
// Alignment: the word's label on its first sub-token, -100 on its later sub-tokens, on [CLS] and
// [SEP], and on context words; with label_all_tokens the later sub-tokens get the word's label
// with B-X mapped to I-X. A word the tokenizer turns into no token at all (a control character,
// a zero-width joiner, ...) is given one [UNK] token, so that it is seen, trained and predicted
// like any other word. A word longer than the budget keeps its first budget sub-tokens.

/// The words a feature predicts: (word index in the sentence, token position of its first sub-token).
struct NERFeaturePlan: Sendable, Equatable {
    public var sentence: Int
    public var words: [Int]
    public var positions: [Int]
}

struct NERFeatureEncoder {
    public var tokenizer: BertTokenizer
    public var maxSeqLength: Int
    public var documentContext: Bool
    public var labelAllTokens: Bool
    public var labels: [String]

    public init(tokenizer: BertTokenizer, maxSeqLength: Int, documentContext: Bool, labelAllTokens: Bool, labels: [String]) {
        self.tokenizer = tokenizer
        self.maxSeqLength = maxSeqLength
        self.documentContext = documentContext
        self.labelAllTokens = labelAllTokens
        self.labels = labels
    }

    /// Tokens per window between [CLS] and [SEP].
    var budget: Int { max(1, maxSeqLength - 2) }

    /// Per sentence, per word: its sub-token ids (never empty, at most `budget`).
    public func wordTokens(_ sentences: [[String]]) -> [[[Int32]]] {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        // Without truncation there is one window per sentence; [CLS] and [SEP] have no word id.
        let encodings = (try? tokenizer.encodeBatch(sentences.map { TokenizerInput.words($0) }, threads: threads).encodings)
            ?? sentences.map { tokenizer.encode(words: $0, addSpecialTokens: false) }
        return zip(sentences, encodings).map { words, encoding in
            var perWord = [[Int32]](repeating: [], count: words.count)
            for (id, word) in zip(encoding.ids, encoding.wordIds) {
                if let word { perWord[word].append(Int32(id)) }
            }
            return perWord.map { tokens in tokens.isEmpty ? [Int32(tokenizer.unkId)] : Array(tokens.prefix(budget)) }
        }
    }

    /// Features for `sentences` (with their `wordTokens`), in sentence order, and what each predicts.
    public func encode(_ sentences: [CoNLLSentence], wordTokens: [[[Int32]]]) -> (features: [EncodedFeature], plans: [NERFeaturePlan]) {
        var labelIndex: [String: Int32] = [:]
        for (i, label) in labels.enumerated() where labelIndex[label] == nil { labelIndex[label] = Int32(i) }
        let continuation = labels.indices.map { Int32(NERLabels.continuation(of: $0, in: labels)) }
        var features: [EncodedFeature] = []
        var plans: [NERFeaturePlan] = []

        // Documents are runs of sentences with the same document index; without document
        // context each sentence stands alone.
        var documentStart = 0
        while documentStart < sentences.count {
            var documentEnd = documentStart + 1
            while documentContext && documentEnd < sentences.count
                    && sentences[documentEnd].document == sentences[documentStart].document { documentEnd += 1 }
            let members = Array(documentStart..<documentEnd)
            // the document's words flattened: (sentence, word) and token ids
            var flatTokens: [[Int32]] = []
            var flatLabels: [Int32] = []
            var sentenceOffset: [Int: Int] = [:]
            for s in members {
                sentenceOffset[s] = flatTokens.count
                flatTokens += wordTokens[s]
                let tags = sentences[s].tags
                flatLabels += (0..<sentences[s].words.count).map { w in tags.flatMap { labelIndex[$0[w]] } ?? -100 }
            }
            let flatCounts = flatTokens.map(\.count)
            for s in members {
                let counts = wordTokens[s].map(\.count)
                let pieces = NERWindows.pieces(tokenCounts: counts, budget: budget)
                let owners = NERWindows.owners(of: pieces, tokenCounts: counts)
                let offset = sentenceOffset[s]!
                for (k, piece) in pieces.enumerated() {
                    let centre = (offset + piece.lowerBound)..<(offset + piece.upperBound)
                    let span = documentContext ? NERWindows.context(around: centre, tokenCounts: flatCounts, budget: budget) : centre
                    var ids: [Int32] = [Int32(tokenizer.clsId)]
                    var tokenLabels: [Int32] = [-100]
                    var plan = NERFeaturePlan(sentence: s, words: [], positions: [])
                    for flat in span {
                        let inCentre = centre.contains(flat)
                        if inCentre && owners[flat - offset] == k {
                            plan.words.append(flat - offset)
                            plan.positions.append(ids.count)
                        }
                        let label = inCentre ? flatLabels[flat] : -100
                        for (j, id) in flatTokens[flat].enumerated() {
                            ids.append(id)
                            tokenLabels.append(j == 0 || label < 0 ? label : (labelAllTokens ? continuation[Int(label)] : -100))
                        }
                    }
                    ids.append(Int32(tokenizer.sepId))
                    tokenLabels.append(-100)
                    var feature = EncodedFeature(inputIDs: ids, tokenTypeIDs: [Int32](repeating: 0, count: ids.count), exampleIndex: s)
                    if sentences[s].tags != nil { feature.targets = TokenLabels(tokenLabels) }
                    features.append(feature)
                    plans.append(plan)
                }
            }
            documentStart = documentEnd
        }
        return (features, plans)
    }
}
