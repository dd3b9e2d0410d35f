// Reading a mapping key by key, the way a task-file struct decodes itself:
//
//     let map = try YAMLMapping(node)
//     try map.rejectUnknownKeys(allowed: ["name", "head", "data", "epochs"])
//     let name: String = try map.required("name")
//     let epochs: Int? = try map.optional("epochs")
//     let data = try map.nestedMapping("data")
//
// Where each error points: a wrong type at the value, an unknown key at the key, a missing key at
// the mapping that lacks it (for a block mapping, its first key; for `{...}`, the brace).

struct YAMLMapping: Sendable {
    /// The mapping node itself (its position is where "missing key" errors point).
    let node: YAMLNode
    let entries: [YAMLMappingEntry]

    /// Wraps `node`, which must be a mapping.
    init(_ node: YAMLNode) throws {
        guard let entries = node.mappingEntries else {
            throw YAMLError(.typeMismatch, at: node.position, "expected a mapping, found \(node.foundDescription)")
        }
        self.node = node
        self.entries = entries
    }

    var position: YAMLPosition { node.position }
    var keys: [String] { entries.map(\.key) }

    func entry(_ key: String) -> YAMLMappingEntry? {
        entries.first { $0.key == key }
    }

    /// The value node for `key`, or nil if the key is absent.
    subscript(key: String) -> YAMLNode? { entry(key)?.value }

    func contains(_ key: String) -> Bool { entry(key) != nil }

    // MARK: Values

    /// The value of `key`; error if the key is absent or its value is not a `T`.
    func required<T: YAMLDecodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        guard let value = self[key] else { throw missingKey(key) }
        return try decode(value, forKey: key)
    }

    /// The value of `key`, or nil if the key is absent or its value is null (`key:`, `key: ~`).
    func optional<T: YAMLDecodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard let value = self[key], !value.isNull else { return nil }
        return try decode(value, forKey: key)
    }

    /// The value of `key`, or `defaultValue` if the key is absent or null.
    func optional<T: YAMLDecodable>(_ key: String, default defaultValue: T) throws -> T {
        try optional(key, as: T.self) ?? defaultValue
    }

    private func decode<T: YAMLDecodable>(_ value: YAMLNode, forKey key: String) throws -> T {
        // Scalars name the key in their message; anything larger names its own inner keys.
        if let scalarType = T.self as? any YAMLScalarDecodable.Type {
            return try scalarType.decode(value, forKey: key) as! T
        }
        return try T(yaml: value)
    }

    // MARK: Nested collections

    /// The mapping under `key`; error if absent or not a mapping.
    func nestedMapping(_ key: String) throws -> YAMLMapping {
        guard let value = self[key] else { throw missingKey(key) }
        return try mapping(value, forKey: key)
    }

    /// The mapping under `key`, or nil if the key is absent or null.
    func optionalNestedMapping(_ key: String) throws -> YAMLMapping? {
        guard let value = self[key], !value.isNull else { return nil }
        return try mapping(value, forKey: key)
    }

    /// The elements of the sequence under `key`; error if absent or not a sequence.
    func sequence(_ key: String) throws -> [YAMLNode] {
        guard let value = self[key] else { throw missingKey(key) }
        return try elements(value, forKey: key)
    }

    /// The elements of the sequence under `key`, or nil if the key is absent or null.
    func optionalSequence(_ key: String) throws -> [YAMLNode]? {
        guard let value = self[key], !value.isNull else { return nil }
        return try elements(value, forKey: key)
    }

    private func mapping(_ value: YAMLNode, forKey key: String) throws -> YAMLMapping {
        guard value.mappingEntries != nil else {
            throw YAMLError(.typeMismatch, at: value.position, "`\(key)`: expected a mapping, found \(value.foundDescription)")
        }
        return try YAMLMapping(value)
    }

    private func elements(_ value: YAMLNode, forKey key: String) throws -> [YAMLNode] {
        guard let elements = value.sequenceElements else {
            throw YAMLError(.typeMismatch, at: value.position, "`\(key)`: expected a list, found \(value.foundDescription)")
        }
        return elements
    }

    // MARK: Key checks

    /// Throws at the first key (in file order) that is not in `allowed`, suggesting the closest
    /// allowed key when one is within typo distance, else listing the allowed keys.
    func rejectUnknownKeys(allowed: Set<String>) throws {
        if let first = unknownKeyErrors(allowed: allowed).first { throw first }
    }

    /// An error for each key (in file order) that is not in `allowed`, as `rejectUnknownKeys` words it.
    func unknownKeyErrors(allowed: Set<String>) -> [YAMLError] {
        entries.filter { !allowed.contains($0.key) }.map { entry in
            let suggestion = YAMLEditDistance.closest(to: entry.key, among: allowed)
            let hint = suggestion.map { "did you mean `\($0)`?" }
                ?? "allowed keys: " + allowed.sorted().joined(separator: ", ")
            return YAMLError(.unknownKey(key: entry.key, suggestion: suggestion), at: entry.keyPosition,
                             "unknown key `\(entry.key)`; \(hint)")
        }
    }

    private func missingKey(_ key: String) -> YAMLError {
        YAMLError(.missingKey(key), at: position, "missing required key `\(key)` in this mapping")
    }
}

extension YAMLNode {
    /// This node as a mapping to read keys from; error if it is not one.
    func mapping() throws -> YAMLMapping { try YAMLMapping(self) }

    /// This node decoded as a `T`.
    func decode<T: YAMLDecodable>(as type: T.Type = T.self) throws -> T { try T(yaml: self) }
}
