/// What post-processing needs of one feature (one window of an example): which example it
/// came from, and for each token its code-point offsets in the context, or nil for a token that
/// is not part of the context ([CLS], the question, [SEP]) — run_qa.py's offset_mapping with
/// None outside the context.
struct QAWindow: Sendable, Equatable {
    var exampleIndex: Int
    var contextOffsets: [Range<Int>?]

    init(exampleIndex: Int, contextOffsets: [Range<Int>?]) {
        self.exampleIndex = exampleIndex
        self.contextOffsets = contextOffsets
    }
}
