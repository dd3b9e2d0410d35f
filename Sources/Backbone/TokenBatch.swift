import Tensor

/// One padded batch of token sequences, the value that flows from Tasks through the backbone and
/// the heads unchanged. Row-major (B, T) arrays: sequence b's token t is at b·T + t.
public struct TokenBatch: Sendable {
    public let batchSize: Int
    public let sequenceLength: Int
    public var inputIDs: [Int32]
    public var tokenTypeIDs: [Int32]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int32]

    public init(batchSize: Int, sequenceLength: Int, inputIDs: [Int32], tokenTypeIDs: [Int32]? = nil, attentionMask: [Int32]? = nil) {
        let n = batchSize * sequenceLength
        precondition(inputIDs.count == n, "TokenBatch: \(inputIDs.count) ids for \(batchSize) x \(sequenceLength)")
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.inputIDs = inputIDs
        self.tokenTypeIDs = tokenTypeIDs ?? Array(repeating: 0, count: n)
        self.attentionMask = attentionMask ?? Array(repeating: 1, count: n)
        precondition(self.tokenTypeIDs.count == n && self.attentionMask.count == n, "TokenBatch: type ids or mask of the wrong size")
    }

    /// Pads sequences of different lengths to the longest (dynamic padding) with `padID`.
    public init(sequences: [[Int32]], typeIDs: [[Int32]]? = nil, padID: Int32 = 0, padTo length: Int? = nil) {
        let t = max(length ?? 0, sequences.map(\.count).max() ?? 0)
        var ids = [Int32](), types = [Int32](), mask = [Int32]()
        ids.reserveCapacity(sequences.count * t)
        for (s, sequence) in sequences.enumerated() {
            let padding = t - sequence.count
            ids += sequence + Array(repeating: padID, count: padding)
            types += (typeIDs?[s] ?? Array(repeating: 0, count: sequence.count)) + Array(repeating: 0, count: padding)
            mask += Array(repeating: 1, count: sequence.count) + Array(repeating: 0, count: padding)
        }
        self.init(batchSize: sequences.count, sequenceLength: t, inputIDs: ids, tokenTypeIDs: types, attentionMask: mask)
    }

    /// Position ids 0..<T for every sequence (BERT's absolute positions).
    public var positionIDs: [Int32] {
        (0..<batchSize).flatMap { _ in (0..<Int32(sequenceLength)).map { $0 } }
    }

    /// The mask as floats (B, T), for pooling.
    public var maskTensor: Tensor {
        Tensor(shape: [batchSize, sequenceLength], values: attentionMask.map(Float.init))
    }

    /// transformers' extended attention mask (B, T): 0 where attended, float32's lowest where padded.
    public var additiveMask: Tensor {
        Tensor(shape: [batchSize, sequenceLength], values: attentionMask.map { $0 != 0 ? 0 : -Float.greatestFiniteMagnitude })
    }

    /// Number of real (unpadded) tokens.
    public var tokenCount: Int { attentionMask.reduce(0) { $0 + Int($1) } }
}
