// The label list of a token-classification task and the way predicted IOB2 tags are written back
// in a file's own scheme.

import TaskMetrics


enum NERLabels {
    /// "O" first, then the other distinct IOB2 tags of training sorted by code points
    /// (B-LOC, B-MISC, ..., I-LOC, ...), or the declared list, which must hold every training tag.
    static func fromTraining(_ sentences: [CoNLLSentence], declared: [String]?, path: String) throws -> [String] {
        if let declared {
            let allowed = Set(declared)
            for sentence in sentences {
                for (i, tag) in (sentence.tags ?? []).enumerated() where !allowed.contains(tag) {
                    throw CoNLLError.tagNotDeclared(path: path, line: sentence.line + i, tag: tag, declared: declared)
                }
            }
            return declared
        }
        var distinct = Set<String>()
        for sentence in sentences { distinct.formUnion(sentence.tags ?? []) }
        distinct.remove("O")
        return ["O"] + distinct.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    /// The label a later sub-token gets with `label_all_tokens`: "B-X" becomes "I-X" when the
    /// list has it (else stays "B-X"); other labels are kept.
    static func continuation(of label: Int, in labels: [String]) -> Int {
        let name = labels[label]
        guard name.hasPrefix("B-") else { return label }
        return labels.firstIndex(of: "I-" + name.dropFirst(2)) ?? label
    }

    /// Predicted IOB2 tags written in `scheme`. A predicted "I-X" that does not continue an X
    /// entity is read as opening one (as seqeval's default mode reads it) before converting.
    static func write(_ tags: [String], in scheme: String) -> [String] {
        let repaired = repairIOB2(tags)
        switch scheme {
        case "iob1": return iob2ToIOB1(repaired)
        case "bioes": return (try? TagScheme.iob2ToBIOES(repaired)) ?? repaired
        default: return repaired
        }
    }

    /// "I-X" after "O", at the start, or after another type -> "B-X".
    static func repairIOB2(_ tags: [String]) -> [String] {
        var previousType: Substring?
        return tags.map { tag in
            guard let (prefix, type) = split(tag) else { previousType = nil; return tag }
            defer { previousType = type }
            return prefix == "I" && previousType != type ? "B-" + type : tag
        }
    }

    /// IOB1: every token of an entity is "I-X", except the first token of an X entity that
    /// directly follows another X entity, which is "B-X".
    static func iob2ToIOB1(_ tags: [String]) -> [String] {
        var previousType: Substring?
        return tags.map { tag in
            guard let (prefix, type) = split(tag) else { previousType = nil; return tag }
            defer { previousType = type }
            return prefix == "B" && previousType == type ? tag : "I-" + type
        }
    }

    /// (prefix, type) of "P-TYPE"; nil for "O" or a tag without "-".
    static func split(_ tag: String) -> (Substring, Substring)? {
        guard tag != "O", let dash = tag.firstIndex(of: "-") else { return nil }
        return (tag[..<dash], tag[tag.index(after: dash)...])
    }
}
