// `--set key=value` from the command line, applied to the parsed tree before decoding, so an
// overridden value goes through exactly the same checks as one written in the file.
//
//   key     a dotted path: `defaults.learning_rate`, `tasks.sst2.epochs` (a sequence element
//           picked by its `name` field), `tasks.0.data.train` (or by a 0-based index).
//   value   parsed as YAML, so `3e-5` is a number, `"42"` a string, `[accuracy, f1]` a list and
//           an empty value null. Every node of the value, and every key the override creates,
//           is positioned at `--set key=value` instead of a file line.
//
// A missing key in a mapping is created (with empty mappings for the rest of the path); a null
// value (`defaults:` with nothing) on the path is treated as an empty mapping. An element name
// that no element of a sequence has, an index out of range, or a path through a scalar is an
// error. Aliases were resolved into copies when parsing, so overriding one place leaves the
// anchor's other uses as they were.

struct YAMLOverride: Equatable, Sendable {
    let keyPath: [String]
    let value: YAMLNode
    /// The override as the user typed it, `--set key=value`: the position of everything it makes.
    let text: String

    var position: YAMLPosition { .override(text) }

    /// Parses the argument of `--set` (`key=value`, without the `--set`).
    init(parsing argument: String) throws {
        let text = "--set \(argument)"
        let position = YAMLPosition.override(text)
        guard let equals = argument.firstIndex(of: "=") else {
            throw YAMLError(.badOverride, at: position, "expected `key=value`, e.g. `--set defaults.epochs=1`")
        }
        let key = String(argument[..<equals])
        let valueText = String(argument[argument.index(after: equals)...])
        let keyPath = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard keyPath.allSatisfy({ !$0.isEmpty }) else {
            throw YAMLError(.badOverride, at: position, "`\(key)` is not a dotted key path like `defaults.epochs`")
        }
        self.keyPath = keyPath
        self.text = text
        self.value = try Self.parseValue(valueText, at: position)
    }

    private static func parseValue(_ valueText: String, at position: YAMLPosition) throws -> YAMLNode {
        do {
            return try YAMLParser.parse(valueText, path: position.description).repositioned(at: position)
        } catch let error as YAMLError where error.kind == .emptyFile {
            return YAMLNode(.scalar(YAMLScalar("")), at: position)  // only a comment: null, like `key=`
        } catch let error as YAMLError {
            throw YAMLError(.badOverride, at: position,
                            "the value is not valid YAML (\(error.message)); quote it, e.g. --set 'key=\"text\"'")
        }
    }

    /// `root` with this override applied.
    func apply(to root: YAMLNode) throws -> YAMLNode {
        var root = root
        try set(&root, depth: 0)
        return root
    }

    /// `root` with every override applied, in order (a later one wins over an earlier one).
    static func apply(_ overrides: [YAMLOverride], to root: YAMLNode) throws -> YAMLNode {
        try overrides.reduce(root) { try $1.apply(to: $0) }
    }

    /// Sets `value` at `keyPath[depth...]` inside `node`.
    private func set(_ node: inout YAMLNode, depth: Int) throws {
        let component = keyPath[depth]
        let isLast = depth == keyPath.count - 1
        if node.isNull { node.kind = .mapping([]) }
        switch node.kind {
        case var .mapping(entries):
            node.kind = .scalar(YAMLScalar(""))  // release the old entries: edit in place
            if let index = entries.firstIndex(where: { $0.key == component }) {
                if isLast { entries[index].value = value } else { try set(&entries[index].value, depth: depth + 1) }
            } else {
                var created = value
                if !isLast {
                    created = YAMLNode(.mapping([]), at: position)
                    try set(&created, depth: depth + 1)
                }
                entries.append(YAMLMappingEntry(key: component, keyPosition: position, value: created))
            }
            node.kind = .mapping(entries)
        case var .sequence(elements):
            let index = try elementIndex(component, in: elements, sequencePosition: node.position, depth: depth)
            node.kind = .scalar(YAMLScalar(""))
            if isLast { elements[index] = value } else { try set(&elements[index], depth: depth + 1) }
            node.kind = .sequence(elements)
        case .scalar:
            throw YAMLError(.badOverride, at: position,
                            "`\(pathText(through: depth - 1))` is a scalar (at \(node.position)), "
                            + "so it has no `\(component)` inside it")
        }
    }

    /// The element `component` names: a 0-based index, or the element whose `name` is `component`.
    private func elementIndex(_ component: String, in elements: [YAMLNode],
                              sequencePosition: YAMLPosition, depth: Int) throws -> Int {
        let sequencePath = pathText(through: depth - 1)
        if let index = Int(component), component.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            guard index < elements.count else {
                throw YAMLError(.badOverride, at: position,
                                "index \(index) is out of range: `\(sequencePath)` (at \(sequencePosition)) "
                                + "has \(elements.count) element\(elements.count == 1 ? "" : "s")")
            }
            return index
        }
        let names = elements.map { try? $0.mapping().optional("name", as: String.self) }
        if let index = names.firstIndex(of: component) { return index }
        let known = names.compactMap { $0 }
        throw YAMLError(.badOverride, at: position,
                        "no element of `\(sequencePath)` (at \(sequencePosition)) has `name: \(component)`; "
                        + (known.isEmpty ? "address elements by index (0, 1, ...)" : "names: " + known.joined(separator: ", ")))
    }

    /// `keyPath[0...depth]` joined with dots ("the document" for depth -1).
    private func pathText(through depth: Int) -> String {
        depth < 0 ? "the document" : keyPath[...depth].joined(separator: ".")
    }
}

extension YAMLNode {
    /// This node and everything under it, moved to `position` (used for override values).
    func repositioned(at position: YAMLPosition) -> YAMLNode {
        switch kind {
        case .scalar:
            return YAMLNode(kind, at: position)
        case let .sequence(elements):
            return YAMLNode(.sequence(elements.map { $0.repositioned(at: position) }), at: position)
        case let .mapping(entries):
            return YAMLNode(.mapping(entries.map {
                YAMLMappingEntry(key: $0.key, keyPosition: position, value: $0.value.repositioned(at: position))
            }), at: position)
        }
    }
}
