// Conversions between NER tagging schemes, one sentence at a time, for the CoNLL reader:
// IOB1 -> IOB2 (CoNLL-2003's files are IOB1; models and seqeval strict mode want IOB2) and
// IOB2 <-> BIOES. A tag is "O" or PREFIX-TYPE with a non-empty TYPE.
//
// IOB1: "I-X" is any token of an X entity, "B-X" only opens an X entity that directly follows
// another X entity. Some IOB1 files also use "B-X" after "O" (CoNLL-2003 eng.train has two);
// a "B-X" always stays "B-X" in IOB2.

public enum TagSchemeError: Error, CustomStringConvertible, Equatable {
    /// `position` is the 0-based index of the tag in its sentence.
    case invalidTag(tag: String, position: Int, scheme: String)

    public var description: String {
        switch self {
        case let .invalidTag(tag, position, scheme):
            return "tag \"\(tag)\" at token \(position) is not a valid \(scheme) tag "
                + "(expected O or a prefix and a type, such as B-PER)"
        }
    }
}

public enum TagScheme {
    /// "I-X" after "O", the sentence start or a tag of another type opens an entity: "B-X".
    public static func iob1ToIOB2(_ tags: [String]) throws -> [String] {
        let parsed = try parse(tags, allowed: ["B", "I"], scheme: "IOB1")
        var previousType: String?
        return zip(tags, parsed).map { tag, p in
            defer { previousType = p?.type }
            guard let p else { return tag }
            return p.prefix == "I" && previousType != p.type ? "B-" + p.type : tag
        }
    }

    /// Single-token entities become "S-X", the last token of a longer one "E-X". An ill-formed
    /// "I-X" that does not continue an X entity is read as opening one (as seqeval does).
    public static func iob2ToBIOES(_ tags: [String]) throws -> [String] {
        let parsed = try parse(tags, allowed: ["B", "I"], scheme: "IOB2")
        // continues[i]: tag i is an "I-X" directly after a "B-X" or "I-X".
        let continues = parsed.indices.map { i in
            i > 0 && parsed[i]?.prefix == "I" && parsed[i]?.type == parsed[i - 1]?.type && parsed[i - 1] != nil
        }
        return parsed.indices.map { i in
            guard let p = parsed[i] else { return "O" }
            let nextContinues = i + 1 < parsed.count && continues[i + 1]
            switch (continues[i], nextContinues) {
            case (false, false): return "S-" + p.type
            case (false, true): return "B-" + p.type
            case (true, true): return "I-" + p.type
            case (true, false): return "E-" + p.type
            }
        }
    }

    /// "S-X" -> "B-X", "E-X" -> "I-X". An "I-X" or "E-X" that does not follow a "B-X" or "I-X"
    /// (ill-formed BIOES) opens a new entity: "B-X".
    public static func bioesToIOB2(_ tags: [String]) throws -> [String] {
        let parsed = try parse(tags, allowed: ["B", "I", "E", "S"], scheme: "BIOES")
        return parsed.indices.map { i in
            guard let p = parsed[i] else { return "O" }
            switch p.prefix {
            case "B", "S":
                return "B-" + p.type
            default:
                let previous = i > 0 ? parsed[i - 1] : nil
                let inside = previous.map { ($0.prefix == "B" || $0.prefix == "I") && $0.type == p.type } ?? false
                return (inside ? "I-" : "B-") + p.type
            }
        }
    }

    /// nil for "O"; otherwise the prefix (one of `allowed`) and the type after "-".
    private static func parse(_ tags: [String], allowed: Set<String>,
                              scheme: String) throws -> [(prefix: String, type: String)?] {
        try tags.enumerated().map { position, tag in
            if tag == "O" { return nil }
            let scalars = tag.unicodeScalars
            guard let dash = scalars.firstIndex(of: "-"), dash != scalars.startIndex else {
                throw TagSchemeError.invalidTag(tag: tag, position: position, scheme: scheme)
            }
            let prefix = String(scalars[..<dash])
            let type = String(scalars[scalars.index(after: dash)...])
            guard allowed.contains(prefix), !type.isEmpty else {
                throw TagSchemeError.invalidTag(tag: tag, position: position, scheme: scheme)
            }
            return (prefix, type)
        }
    }
}
