// Turns a mapping's keys and values, as libyaml sent them, into entries: keys must be scalars,
// a key may appear once (a repeat is recorded as an error and dropped, the first value kept, so
// that the rest of the file is still decoded and checked), and merge keys (`<<: *base`, `<<: [*a, *b]`) are expanded the YAML 1.1
// way: keys written in the mapping itself win over merged ones, and among several merged
// mappings the earlier one wins. Merged entries keep the positions of their definitions and are
// placed where the `<<` key stood, so the entry order still reads like the file.

enum YAMLMappingAssembly {
    static let mergeKey = "<<"

    static func entries(fromAlternating keysAndValues: [YAMLNode],
                        duplicateKeys: inout [YAMLError]) throws -> [YAMLMappingEntry] {
        precondition(keysAndValues.count % 2 == 0, "libyaml sends a value for every key")
        var explicit: [YAMLMappingEntry] = []
        var merge: (index: Int, value: YAMLNode)?
        var firstPositions: [String: YAMLPosition] = [:]

        for pairStart in stride(from: 0, to: keysAndValues.count, by: 2) {
            let keyNode = keysAndValues[pairStart]
            let value = keysAndValues[pairStart + 1]
            guard let keyScalar = keyNode.scalar else {
                throw YAMLError(.unsupported, at: keyNode.position,
                                "mapping keys must be scalars, found \(keyNode.foundDescription) as a key")
            }
            let key = keyScalar.value
            if let first = firstPositions[key] {
                duplicateKeys.append(YAMLError(.duplicateKey(key: key, firstLine: first.line), at: keyNode.position,
                                               "duplicate key `\(key)` (first defined at line \(first.line.map(String.init) ?? "?"), "
                                               + "again at line \(keyNode.position.line.map(String.init) ?? "?"))"))
                continue
            }
            firstPositions[key] = keyNode.position
            if key == mergeKey && keyScalar.isPlainUntagged {
                merge = (explicit.count, value)
            } else {
                explicit.append(YAMLMappingEntry(key: key, keyPosition: keyNode.position, value: value))
            }
        }

        guard let merge else { return explicit }
        var taken = Set(explicit.map(\.key))
        var merged: [YAMLMappingEntry] = []
        for source in try mappingsToMerge(merge.value) {
            for entry in source where !taken.contains(entry.key) {
                taken.insert(entry.key)
                merged.append(entry)
            }
        }
        explicit.insert(contentsOf: merged, at: merge.index)
        return explicit
    }

    /// The mappings named by a `<<` value: one mapping, or a sequence of mappings.
    private static func mappingsToMerge(_ value: YAMLNode) throws -> [[YAMLMappingEntry]] {
        if let entries = value.mappingEntries { return [entries] }
        if let elements = value.sequenceElements {
            return try elements.map { element in
                guard let entries = element.mappingEntries else {
                    throw YAMLError(.unsupported, at: element.position,
                                    "`<<` merges mappings only, found \(element.foundDescription) in its list")
                }
                return entries
            }
        }
        throw YAMLError(.unsupported, at: value.position,
                        "`<<` merges a mapping or a list of mappings, found \(value.foundDescription)")
    }
}
