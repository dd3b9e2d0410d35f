// The parsed task file: a tree of scalars, sequences and mappings, every node with its position.
// Aliases are already resolved (an alias is a copy of the anchored node, shared copy-on-write)
// and merge keys already merged, so the decoder never sees `*a` or `<<`.

struct YAMLNode: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        /// Entries in source order; keys are unique (the parser rejects duplicates).
        case mapping([YAMLMappingEntry])
    }

    var kind: Kind
    var position: YAMLPosition

    init(_ kind: Kind, at position: YAMLPosition) {
        self.kind = kind
        self.position = position
    }

    var scalar: YAMLScalar? {
        if case let .scalar(scalar) = kind { return scalar }
        return nil
    }

    var sequenceElements: [YAMLNode]? {
        if case let .sequence(elements) = kind { return elements }
        return nil
    }

    var mappingEntries: [YAMLMappingEntry]? {
        if case let .mapping(entries) = kind { return entries }
        return nil
    }

    /// True for `null`, `Null`, `NULL`, `~` and an empty plain scalar (`key:` with nothing after).
    var isNull: Bool { scalar?.isNull ?? false }

    /// What this node is, for "expected X, found Y" messages: "`abc`", "a sequence", "null"...
    var foundDescription: String {
        switch kind {
        case let .scalar(scalar):
            if scalar.isNull { return scalar.value.isEmpty ? "nothing" : "null (`\(scalar.value)`)" }
            return scalar.style == .plain ? "`\(scalar.value)`" : "the quoted string \"\(scalar.value)\""
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` pair. Keys are always scalars in a task file, so the key is kept as its text
/// plus the position of the key itself (where "unknown key" and "duplicate key" errors point).
struct YAMLMappingEntry: Equatable, Sendable {
    var key: String
    var keyPosition: YAMLPosition
    var value: YAMLNode

    init(key: String, keyPosition: YAMLPosition, value: YAMLNode) {
        self.key = key
        self.keyPosition = keyPosition
        self.value = value
    }
}

/// A scalar's text and how it was written. The style is what lets the decoder tell `42` (an
/// integer) from `"42"` (a string that looks like one), and `null` or an empty value from text.
struct YAMLScalar: Equatable, Sendable {
    enum Style: Equatable, Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    var value: String
    var style: Style
    /// The explicit tag, if any (`!!str 42` has `tag:yaml.org,2002:str`).
    var tag: String?

    init(_ value: String, style: Style = .plain, tag: String? = nil) {
        self.value = value
        self.style = style
        self.tag = tag
    }

    /// Plain and untagged: the only scalars whose text is resolved to null, bool or a number.
    /// Quoted, block (`|`, `>`) and tagged scalars (`!!str 42`, `! 42`) are always strings.
    var isPlainUntagged: Bool { style == .plain && tag == nil }

    /// YAML's null: `null`, `Null`, `NULL`, `~`, or nothing at all, written plain.
    var isNull: Bool {
        guard isPlainUntagged else { return false }
        switch value {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }
}
