import Heads

/// One model input made from an example (a classification text, a window of a sentence, a QA
/// window): token ids and what it is trained against. Several features may come from one
/// example (windows); `exampleIndex` says which.
public struct EncodedFeature: Sendable {
    public var inputIDs: [Int32]
    public var tokenTypeIDs: [Int32]
    public var exampleIndex: Int
    /// Sequence classification: the class index.
    public var label: Int32?
    /// Regression: the target value.
    public var value: Float?
    /// Token classification: one label per token, -100 where no loss is taken.
    public var tokenLabels: [Int32]?
    /// Span extraction: answer start and end token ([CLS] = 0 when the answer is not in the window).
    public var startPosition: Int32?
    public var endPosition: Int32?
    /// Multi-label classification: a 0/1 vector over the labels.
    public var labelVector: [Float]?

    public init(inputIDs: [Int32], tokenTypeIDs: [Int32], exampleIndex: Int) {
        self.inputIDs = inputIDs
        self.tokenTypeIDs = tokenTypeIDs
        self.exampleIndex = exampleIndex
    }

    public var length: Int { inputIDs.count }
}
