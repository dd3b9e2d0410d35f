/// Which sequence loses tokens when an input is longer than `maxLength`.
public enum TruncationStrategy: String, Sendable, Equatable, CaseIterable {
    /// Trim the longer sequence first (both, when both are too long).
    case longestFirst = "longest_first"
    case onlyFirst = "only_first"
    /// QA features: the question stays whole, the context is cut into windows.
    case onlySecond = "only_second"
}

/// Truncation with overflowing windows. `maxLength` counts the special tokens; `stride` is the
/// number of tokens consecutive windows share (transformers' and the Rust library's meaning).
public struct Truncation: Sendable, Equatable {
    public var maxLength: Int
    public var strategy: TruncationStrategy
    public var stride: Int

    public init(maxLength: Int, strategy: TruncationStrategy = .longestFirst, stride: Int = 0) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.stride = stride
    }

    /// The windows over a sequence of `count` tokens cut to `length` tokens each, consecutive
    /// windows overlapping by `stride` (the Rust library's `Encoding::truncate`).
    static func windows(count: Int, length: Int, stride: Int) throws -> [Range<Int>] {
        if length >= count { return [0..<count] }
        // Nothing fits: the whole sequence moves to one overflowing window.
        if length == 0 { return [0..<0, 0..<count] }
        guard stride < length else { throw TokenizerError.strideTooLarge(stride: stride, windowLength: length) }
        var windows: [Range<Int>] = []
        var start = 0
        while true {
            let stop = min(start + length, count)
            windows.append(start..<stop)
            if stop == count { return windows }
            start += length - stride
        }
    }

    /// Window ranges of the first and second sequences, given their token counts.
    func plan(firstCount: Int, secondCount: Int?, specialCount: Int) throws -> ([Range<Int>], [Range<Int>]?) {
        guard maxLength >= specialCount else {
            throw TokenizerError.cannotTruncate(maxLength: maxLength, reason: "it cannot hold the \(specialCount) special tokens")
        }
        let budget = maxLength - specialCount
        if budget == 0 {
            return (try Self.windows(count: firstCount, length: 0, stride: stride),
                    try secondCount.map { try Self.windows(count: $0, length: 0, stride: stride) })
        }
        let total = firstCount + (secondCount ?? 0)
        if total <= budget { return ([0..<firstCount], secondCount.map { [0..<$0] }) }
        let excess = total - budget
        switch strategy {
        case .longestFirst:
            guard let secondCount else {
                return (try Self.windows(count: firstCount, length: budget, stride: stride), nil)
            }
            // The Rust library's rule: keep the shorter whole if the longer can absorb the cut,
            // otherwise split the budget in half (the extra token to the second).
            var n1 = firstCount, n2 = secondCount
            let swapped = n1 > n2
            if swapped { swap(&n1, &n2) }
            n2 = n1 > budget ? n1 : max(n1, budget - n1)
            if n1 + n2 > budget {
                n1 = budget / 2
                n2 = n1 + budget % 2
            }
            if swapped { swap(&n1, &n2) }
            return (try Self.windows(count: firstCount, length: n1, stride: stride),
                    try Self.windows(count: secondCount, length: n2, stride: stride))
        case .onlyFirst:
            guard firstCount > excess else {
                throw TokenizerError.cannotTruncate(maxLength: maxLength, reason: "the first sequence is too short to remove \(excess) tokens")
            }
            return (try Self.windows(count: firstCount, length: firstCount - excess, stride: stride), secondCount.map { [0..<$0] })
        case .onlySecond:
            guard let secondCount else { throw TokenizerError.secondSequenceMissing }
            guard secondCount > excess else {
                throw TokenizerError.cannotTruncate(maxLength: maxLength, reason: "the second sequence is too short to remove \(excess) tokens")
            }
            return ([0..<firstCount], try Self.windows(count: secondCount, length: secondCount - excess, stride: stride))
        }
    }

    /// Pairs of windows in the Rust library's order: (first 0, second 0), then each later first
    /// window with second window 0 and with every later second window, then first window 0 with
    /// every later second window.
    static func combine(_ first: [Range<Int>], _ second: [Range<Int>]?) -> [(Range<Int>, Range<Int>?)] {
        guard let second else { return first.map { ($0, nil) } }
        var pairs: [(Range<Int>, Range<Int>?)] = [(first[0], second[0])]
        for a in first.dropFirst() {
            pairs.append((a, second[0]))
            for b in second.dropFirst() { pairs.append((a, b)) }
        }
        for b in second.dropFirst() { pairs.append((first[0], b)) }
        return pairs
    }
}
