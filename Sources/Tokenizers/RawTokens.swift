/// WordPiece tokens of one sequence before specials, truncation and padding. Offsets are scalar
/// indices into the sequence's original text (or word); `wordIds` index the sequence's words.
struct RawTokens {
    var ids: [Int32] = []
    var starts: [Int32] = []
    var ends: [Int32] = []
    var wordIds: [Int32] = []

    var count: Int { ids.count }

    init(capacity: Int = 0) {
        ids.reserveCapacity(capacity)
        starts.reserveCapacity(capacity)
        ends.reserveCapacity(capacity)
        wordIds.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func append(id: Int32, start: Int32, end: Int32, wordId: Int32) {
        ids.append(id)
        starts.append(start)
        ends.append(end)
        wordIds.append(wordId)
    }

    /// Drops the pieces after `count` (a word that turned out to be unknown).
    mutating func truncate(to count: Int) {
        let extra = ids.count - count
        guard extra > 0 else { return }
        ids.removeLast(extra)
        starts.removeLast(extra)
        ends.removeLast(extra)
        wordIds.removeLast(extra)
    }

}
