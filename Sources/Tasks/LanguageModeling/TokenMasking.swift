import Tensor
import Tokenizers

/// Which tokens a masked-LM sequence is trained to predict and what its input shows there, drawn
/// as transformers' data collators draw them:
///
/// - DataCollatorForLanguageModeling (the default): each token is chosen with probability
///   `probability` (mlm_probability), special tokens never; a chosen token becomes [MASK] with
///   probability 0.8, else (half of the rest) a uniformly drawn token of the vocabulary, else it
///   is kept. The labels are the original ids at the chosen positions and -100 elsewhere.
/// - DataCollatorForWholeWordMask (`wholeWords`), transformers 4's: the words are a token and the
///   `##` pieces that follow it ([CLS] and [SEP] are no words); in a random order, whole words
///   are taken while they fit in round(length x probability) tokens (at least 1, at most 512),
///   a word that would overflow is skipped; then the 80/10/10 rule above, token by token.
///   Special tokens inside a taken word ([UNK], [MASK] spelled in the text) stay unchosen.
///   (transformers 5 replaced that class by `whole_word_mask=True`, which draws each word with
///   the probability, finds words from character offsets and always puts [MASK].)
///
/// Each sequence draws from a stream of its own, so what a sequence gets depends on the stream's
/// key alone, not on which batch or rank it lands in.
struct TokenMasking: Sendable {
    let probability: Double
    let wholeWords: Bool
    let maskID: Int32
    /// Random replacements are drawn from 0..<vocabularySize (len(tokenizer)).
    let vocabularySize: Int
    /// Never chosen: the tokenizer's special tokens.
    let specialIDs: Set<Int32>
    /// Not part of any word in whole-word masking: [CLS] and [SEP].
    let boundaryIDs: Set<Int32>
    /// Per vocabulary id: whether the token is a `##` piece, which continues the word before it.
    let continuesWord: [Bool]
    /// DataCollatorForWholeWordMask's cap on the tokens chosen per sequence.
    static let maximumWholeWordPredictions = 512

    init(tokenizer: BertTokenizer, maskID: Int, probability: Double, wholeWords: Bool) {
        self.probability = probability
        self.wholeWords = wholeWords
        self.maskID = Int32(maskID)
        vocabularySize = tokenizer.vocabulary.count
        specialIDs = Set(tokenizer.specialIds.map(Int32.init))
        boundaryIDs = [Int32(tokenizer.clsId), Int32(tokenizer.sepId)]
        continuesWord = tokenizer.vocabulary.tokens.map { $0.hasPrefix("##") }
    }

    /// `ids` masked with draws from `stream`: the input the model reads, and the labels (the
    /// original id where a prediction is asked, -100 elsewhere).
    func mask(_ ids: [Int32], stream: inout RandomStream) -> (inputs: [Int32], labels: [Int32]) {
        let chosen = wholeWords ? chooseWholeWords(ids, stream: &stream) : chooseTokens(ids, stream: &stream)
        var inputs = ids
        var labels = [Int32](repeating: -100, count: ids.count)
        for i in ids.indices where chosen[i] {
            labels[i] = ids[i]
            if stream.nextUniform() < 0.8 {
                inputs[i] = maskID
            } else if stream.nextUniform() < 0.5 {
                inputs[i] = Int32(stream.nextInt(below: vocabularySize))
            }
        }
        return (inputs, labels)
    }

    /// Each token on its own, with probability `probability`.
    private func chooseTokens(_ ids: [Int32], stream: inout RandomStream) -> [Bool] {
        ids.map { id in
            let draw = stream.nextUniform()
            return !specialIDs.contains(id) && draw < probability
        }
    }

    /// Whole words in a random order, up to round(length x probability) tokens.
    private func chooseWholeWords(_ ids: [Int32], stream: inout RandomStream) -> [Bool] {
        var words: [[Int]] = []
        for (i, id) in ids.enumerated() where !boundaryIDs.contains(id) {
            let piece = Int(id) < continuesWord.count && continuesWord[Int(id)]
            if piece, !words.isEmpty { words[words.count - 1].append(i) } else { words.append([i]) }
        }
        stream.shuffle(&words)
        // Python's round() rounds half to even
        let target = min(Self.maximumWholeWordPredictions,
                         max(1, Int((Double(ids.count) * probability).rounded(.toNearestOrEven))))
        var chosen = [Bool](repeating: false, count: ids.count)
        var taken = 0
        for word in words {
            if taken >= target { break }
            if taken + word.count > target { continue }
            for i in word { chosen[i] = true }
            taken += word.count
        }
        for i in ids.indices where specialIDs.contains(ids[i]) { chosen[i] = false }
        return chosen
    }
}
