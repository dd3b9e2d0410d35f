// "did you mean `learning_rate`?": the allowed key closest to a misspelt one.

enum YAMLEditDistance {
    /// Levenshtein distance over Unicode scalars (insert, delete, substitute each cost 1).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        // previous[j] = distance(a[..<i-1], b[..<j]); one row at a time.
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate nearest to `key`, if it is near enough to be a typo: at most
    /// max(2, length/3) edits, and fewer edits than the key has characters (so `x` does not
    /// "suggest" `lr`). Ties go to the alphabetically first candidate, for stable messages.
    static func closest(to key: String, among candidates: Set<String>) -> String? {
        let length = key.unicodeScalars.count
        let limit = min(max(2, length / 3), length - 1)
        let scored = candidates.map { (candidate: $0, distance: distance(key, $0)) }
            .filter { $0.distance <= limit }
            .sorted { ($0.distance, $0.candidate) < ($1.distance, $1.candidate) }
        return scored.first?.candidate
    }
}
