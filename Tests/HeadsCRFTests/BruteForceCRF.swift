import Foundation

/// A linear-chain CRF computed by enumerating every tag path, in Double: the reference the CRF
/// op, its gradients and Viterbi are checked against. Shares no code with HeadsCRF.
/// Legend: N positions, K tags; e (N, K); A (K, K) [from·K + to]; s, z (K).
struct BruteForceCRF {
    var classes: Int
    var transitions: [Double]
    var start: [Double]
    var end: [Double]
    /// Transitions that no path may take (nil: all allowed).
    var allowedTransition: [Bool]?
    /// Starts that no path may take (nil: all allowed).
    var allowedStart: [Bool]?

    /// Every path of length n that takes no forbidden start or transition.
    func paths(length n: Int) -> [[Int]] {
        var result: [[Int]] = [[]]
        for _ in 0..<n {
            result = result.flatMap { prefix in (0..<classes).map { prefix + [$0] } }
        }
        return result.filter(isAllowed)
    }

    func isAllowed(_ path: [Int]) -> Bool {
        if let first = path.first, let allowedStart, !allowedStart[first] { return false }
        for i in path.indices.dropFirst() {
            if let allowedTransition, !allowedTransition[path[i - 1] * classes + path[i]] { return false }
        }
        return true
    }

    func score(_ path: [Int], emissions e: [Double]) -> Double {
        var total = start[path.first!] + end[path.last!]
        for (i, tag) in path.enumerated() {
            total += e[i * classes + tag]
            if i > 0 { total += transitions[path[i - 1] * classes + tag] }
        }
        return total
    }

    func logPartition(emissions e: [Double]) -> Double {
        let scores = paths(length: e.count / classes).map { score($0, emissions: e) }
        let top = scores.max()!
        return top + log(scores.reduce(0) { $0 + exp($1 - top) })
    }

    func negativeLogLikelihood(_ gold: [Int], emissions e: [Double]) -> Double {
        logPartition(emissions: e) - score(gold, emissions: e)
    }

    /// d NLL / d(e, A, s, z) from the path probabilities: expected counts minus gold counts.
    func gradients(_ gold: [Int], emissions e: [Double]) -> (emissions: [Double], transitions: [Double], start: [Double], end: [Double]) {
        let k = classes, n = e.count / k
        let logZ = logPartition(emissions: e)
        var dE = [Double](repeating: 0, count: n * k), dA = [Double](repeating: 0, count: k * k)
        var dS = [Double](repeating: 0, count: k), dZ = dS
        func add(_ path: [Int], _ weight: Double) {
            for (i, tag) in path.enumerated() {
                dE[i * k + tag] += weight
                if i > 0 { dA[path[i - 1] * k + tag] += weight }
            }
            dS[path.first!] += weight
            dZ[path.last!] += weight
        }
        for path in paths(length: n) { add(path, exp(score(path, emissions: e) - logZ)) }
        add(gold, -1)
        return (dE, dA, dS, dZ)
    }

    /// The highest-scoring allowed path.
    func bestPath(emissions e: [Double]) -> [Int] {
        paths(length: e.count / classes).max { score($0, emissions: e) < score($1, emissions: e) }!
    }
}

/// Deterministic uniform numbers for the tests.
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale).
    mutating func uniform(_ scale: Double = 1) -> Double { (Double(next() >> 11) / Double(1 << 53) * 2 - 1) * scale }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// IOB2 validity read from the tag strings (independent of IOB2Constraint): no I-X at the
/// start, after O, or after a tag of another type, for types that have a B-X label.
func isValidIOB2(_ tags: [String], labels: [String]) -> Bool {
    var previous: String?
    for tag in tags {
        if !iob2Allows(tag, after: previous, labels: labels) { return false }
        previous = tag
    }
    return true
}

/// May `tag` follow `previous` (nil: the sentence start) in IOB2?
func iob2Allows(_ tag: String, after previous: String?, labels: [String]) -> Bool {
    guard tag.hasPrefix("I-") else { return true }
    let type = tag.dropFirst(2)
    guard labels.contains("B-" + type) else { return true }
    return previous == "B-" + type || previous == "I-" + type
}
