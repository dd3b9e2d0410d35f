import Heads

/// One model input made from an example (a classification text, a window of a sentence, a QA
/// window): token ids and what it is trained against. Several features may come from one
/// example (windows); `exampleIndex` says which.
public struct EncodedFeature: Sendable {
    public var inputIDs: [Int32]
    public var tokenTypeIDs: [Int32]
    public var exampleIndex: Int
    /// What the head trains against, as a batch of one row (`SequenceLabels`, `TokenLabels`,
    /// `SpanPositions`, or a plugin kind's own type); nil for an unlabelled input.
    public var targets: (any HeadTargets)?

    public init(inputIDs: [Int32], tokenTypeIDs: [Int32], exampleIndex: Int, targets: (any HeadTargets)? = nil) {
        self.inputIDs = inputIDs
        self.tokenTypeIDs = tokenTypeIDs
        self.exampleIndex = exampleIndex
        self.targets = targets
    }

    public var length: Int { inputIDs.count }
}
