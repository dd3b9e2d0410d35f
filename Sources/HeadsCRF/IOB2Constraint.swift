// Which tag sequences IOB2 allows, from the label names: "I-X" may only follow "B-X" or "I-X".
// So "I-X" is forbidden at the start of a sentence, after "O", and after a tag of another type.
// The rule applies only to types whose "B-X" is in the label list: without "B-X", "I-X" is the
// only way an X entity can begin, and forbidding it would forbid X altogether. Tags that are
// not "B-"/"I-" (O, or a plain "PER") are allowed anywhere.

/// Allowed starts (K) and allowed transitions (K, K), [from · K + to].
public struct IOB2Constraint: Sendable, Equatable {
    public let classes: Int
    public let allowedStart: [Bool]
    public let allowedTransition: [Bool]

    public init(labels: [String]) {
        let k = labels.count
        let parsed = labels.map(Self.split)
        let beginTypes = Set(parsed.compactMap { $0?.prefix == "B" ? $0?.type : nil })
        // the type an I- tag continues, when the rule applies to it
        let constrained: [Substring?] = parsed.map { tag in
            guard let tag, tag.prefix == "I", beginTypes.contains(tag.type) else { return nil }
            return tag.type
        }
        classes = k
        allowedStart = constrained.map { $0 == nil }
        var transitions = [Bool](repeating: true, count: k * k)
        for to in 0..<k {
            guard let type = constrained[to] else { continue }
            for from in 0..<k where parsed[from]?.type != type || !["B", "I"].contains(parsed[from]!.prefix) {
                transitions[from * k + to] = false
            }
        }
        allowedTransition = transitions
    }

    /// No constraint at all (`constrain_iob2: false`).
    public init(unconstrained classes: Int) {
        self.classes = classes
        allowedStart = Array(repeating: true, count: classes)
        allowedTransition = Array(repeating: true, count: classes * classes)
    }

    /// A tag path's forbidden steps replaced by the B- tag of the same type, as seqeval's default
    /// mode reads them (an "I-X" after "O" opens an X entity): training targets then always have
    /// a finite score under the masked transitions. Starts are left as they are (training does
    /// not mask starts: a window may begin inside an entity).
    public func repaired(_ path: [Int], labels: [String]) -> [Int] {
        var result = path
        for i in result.indices.dropFirst() where !allowedTransition[result[i - 1] * classes + result[i]] {
            if let tag = Self.split(labels[result[i]]), let begin = labels.firstIndex(of: "B-" + tag.type) {
                result[i] = begin
            }
        }
        return result
    }

    /// ("B", "PER") for "B-PER"; nil for "O" or a tag without a "B-"/"I-" style prefix.
    static func split(_ tag: String) -> (prefix: Substring, type: Substring)? {
        guard tag != "O", let dash = tag.firstIndex(of: "-") else { return nil }
        return (tag[..<dash], tag[tag.index(after: dash)...])
    }
}
