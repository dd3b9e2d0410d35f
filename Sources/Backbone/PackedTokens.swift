/// A batch without its padding: the tokens of every sequence (those the attention mask keeps),
/// one sequence after another. The backbone runs on these N rows instead of B·T when the head
/// never reads the states at padding positions: on batches of mixed lengths most of the work
/// of a padded batch can be padding.
public struct PackedTokens: Sendable, Equatable {
    public let inputIDs: [Int32]
    public let tokenTypeIDs: [Int32]
    /// Each token's position in its padded sequence (BERT's position id).
    public let positionIDs: [Int32]
    /// Tokens per sequence, B values adding up to N.
    public let sequenceLengths: [Int]
    /// Where packed row n sits in the padded (B·T) layout.
    public let paddedRows: [Int]
}

extension TokenBatch {
    /// The batch's tokens without padding (see `PackedTokens`).
    public var packed: PackedTokens {
        var ids = [Int32](), types = [Int32](), positions = [Int32](), lengths = [Int](), rows = [Int]()
        let t = sequenceLength
        for b in 0..<batchSize {
            var length = 0
            for position in 0..<t where attentionMask[b * t + position] != 0 {
                ids.append(inputIDs[b * t + position])
                types.append(tokenTypeIDs[b * t + position])
                positions.append(Int32(position))
                rows.append(b * t + position)
                length += 1
            }
            lengths.append(length)
        }
        return PackedTokens(inputIDs: ids, tokenTypeIDs: types, positionIDs: positions, sequenceLengths: lengths, paddedRows: rows)
    }
}
