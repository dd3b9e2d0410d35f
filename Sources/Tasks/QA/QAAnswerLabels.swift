/// The start and end labels of one window, as run_qa.py's prepare_train_features: the tokens
/// where the answer starts and ends, or [CLS] (0) for both when the answer is not entirely
/// inside the window's context, or when there is no answer.
///
/// One deliberate difference: run_qa.py looks for the start token by walking right while a
/// token starts at or before the answer, and when the answer starts in the window's last context
/// token that walk runs past it onto [SEP] (or onto the last padding token when padded to
/// max_seq_length) and labels that. Here the walk stops at the context's last token, so that
/// answer is labelled where it is.
enum QAAnswerLabels {
    /// - Parameters:
    ///   - contextOffsets: per token, its code-point offsets in the context, nil outside it.
    ///   - answer: the answer's code points `start..<end` in the context, or nil (unanswerable).
    /// - Returns: (start, end) token positions.
    public static func positions(contextOffsets: [Range<Int>?], answer: Range<Int>?) -> (start: Int32, end: Int32) {
        let cls: (Int32, Int32) = (0, 0)
        guard let answer,
              let first = contextOffsets.firstIndex(where: { $0 != nil }),
              let last = contextOffsets.lastIndex(where: { $0 != nil }) else { return cls }
        // The window's context must hold the whole answer.
        guard contextOffsets[first]!.lowerBound <= answer.lowerBound,
              contextOffsets[last]!.upperBound >= answer.upperBound else { return cls }
        // start: the last token that starts at or before the answer's first character
        var start = first
        while start <= last, contextOffsets[start]!.lowerBound <= answer.lowerBound { start += 1 }
        // end: the first token (walking left from the context's end) that ends at or after the
        // answer's last character
        var end = last
        while end >= first, contextOffsets[end]!.upperBound >= answer.upperBound { end -= 1 }
        return (Int32(start - 1), Int32(end + 1))
    }
}
