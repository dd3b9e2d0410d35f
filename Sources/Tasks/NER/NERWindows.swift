// Where the windows of a token-classification task fall, on word token counts alone (so the
// rules are testable without a tokenizer).
//
// No truncation loss: a sentence whose tokens do not fit the budget (max_seq_length minus
// [CLS] and [SEP]) is cut at word boundaries into windows that each hold as many whole words as
// fit; the next window starts at the first word at least half a budget of tokens after the
// previous start (and early enough to take at least one new word), so windows overlap by about
// half. Training uses every window. For prediction each word is owned by exactly one window: the
// one where its distance to the nearer window edge (in tokens) is largest, where a sentence end
// is no edge (nothing is cut there); ties go to the earlier window.
//
// Document context: around a window's words, the neighbouring words of the same document
// (the rest of the sentence, then the sentences before and after) fill the free tokens, half the
// room to the left first, then the right, then whatever is left on the left; whole words only.

enum NERWindows {
    /// The windows of one sentence, as ranges of word indices. Every count must be at most
    /// `budget` (the caller cuts longer words); an empty sentence gives one empty window.
    static func pieces(tokenCounts counts: [Int], budget: Int) -> [Range<Int>] {
        precondition(budget >= 1 && counts.allSatisfy { $0 <= budget }, "word token counts must fit the budget")
        let n = counts.count
        let cumulative = prefixSums(counts)
        guard cumulative[n] > budget else { return [0..<n] }
        let stride = max(1, budget / 2)
        var pieces: [Range<Int>] = []
        var start = 0
        while true {
            var end = start
            while end < n && cumulative[end + 1] - cumulative[start] <= budget { end += 1 }
            pieces.append(start..<end)
            if end == n { return pieces }
            var next = start + 1
            while next < end && cumulative[next] - cumulative[start] < stride { next += 1 }
            // the next window must reach the first word this one left out
            while cumulative[end + 1] - cumulative[next] > budget { next += 1 }
            start = next
        }
    }

    /// For each word of the sentence, the index of the window (from `pieces`) that predicts it.
    static func owners(of pieces: [Range<Int>], tokenCounts counts: [Int]) -> [Int] {
        let n = counts.count
        let cumulative = prefixSums(counts)
        var owner = [Int](repeating: 0, count: n)
        var best = [Int](repeating: -1, count: n)
        for (k, piece) in pieces.enumerated() {
            for word in piece {
                let left = piece.lowerBound == 0 ? Int.max : cumulative[word] - cumulative[piece.lowerBound]
                let right = piece.upperBound == n ? Int.max : cumulative[piece.upperBound] - cumulative[word + 1]
                let distance = min(left, right)
                if distance > best[word] {
                    best[word] = distance
                    owner[word] = k
                }
            }
        }
        return owner
    }

    /// The words (a range of `counts`, a whole document's words in order) a window holds when
    /// `centre` is filled with context up to `budget` tokens.
    static func context(around centre: Range<Int>, tokenCounts counts: [Int], budget: Int) -> Range<Int> {
        var lower = centre.lowerBound, upper = centre.upperBound
        var free = budget - counts[centre].reduce(0, +)
        func growLeft(_ room: Int) {
            var room = room
            while lower > 0 && counts[lower - 1] <= room {
                lower -= 1
                room -= counts[lower]
                free -= counts[lower]
            }
        }
        func growRight() {
            while upper < counts.count && counts[upper] <= free {
                free -= counts[upper]
                upper += 1
            }
        }
        growLeft(free / 2)
        growRight()
        growLeft(free)
        return lower..<upper
    }

    static func prefixSums(_ counts: [Int]) -> [Int] {
        var sums = [0]
        sums.reserveCapacity(counts.count + 1)
        for c in counts { sums.append(sums.last! + c) }
        return sums
    }
}
