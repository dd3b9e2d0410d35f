// A sentence of a CoNLL file as the token-classification task uses it.

/// One sentence: its words, its tags in IOB2 (what the model learns and seqeval scores) and as
/// written (what the predictions file repeats), and where it is.
struct CoNLLSentence: Sendable, Equatable {
    var words: [String]
    /// IOB2 tags, one per word; nil when the file has no tag column (an unlabelled test file).
    var tags: [String]?
    /// The tags as the file writes them (in its own scheme).
    var writtenTags: [String]?
    /// 1-based line of the first word, the sentence's id in predictions.
    var line: Int
    /// 0-based document index: a `-DOCSTART-` line starts a new document.
    var document: Int
    /// Whether a `-DOCSTART-` line came right before the sentence (kept in the predictions file).
    var startsDocument: Bool

    init(words: [String], tags: [String]?, writtenTags: [String]? = nil, line: Int, document: Int = 0, startsDocument: Bool = false) {
        self.words = words
        self.tags = tags
        self.writtenTags = writtenTags ?? tags
        self.line = line
        self.document = document
        self.startsDocument = startsDocument
    }
}
