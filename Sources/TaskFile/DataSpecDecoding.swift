import Foundation

// The `data:` block of a task. Decoding checks each value on its own (types, ranges, allowed
// words); whether the keys fit together and the files exist is TaskFileValidation's job, so
// that `bertkit validate` can report all of those at once.

extension DataSpec {
    static let yamlKeys: Set<String> = [
        "format", "train", "eval", "test",
        "text", "text_pair", "label", "id", "header", "labels", "max_train_examples", "max_eval_examples", "skip_eval_examples",
        "token_column", "tag_column", "scheme",
        "skip_invalid",
        "line_by_line",
    ]

    /// The tag schemes a conll file may be written in.
    static let schemes: [String] = ["iob1", "iob2", "bioes"]

    /// Decodes the block `map`; paths are expanded from `environment` and resolved against
    /// `folder`. Each key's error is recorded in `errors` and decoding goes on with the next key;
    /// a key that failed keeps its default and is listed in `undecoded`.
    init(yaml map: YAMLMapping, environment: [String: String], folder: URL, errors: inout TaskFileErrorCollector) {
        errors.recordUnknownKeys(of: map, allowed: Self.yamlKeys)
        var undecoded: Set<String> = []
        let format = errors.attempt("format", marking: &undecoded) { () throws -> DataFormat in
            let formatName: String = try map.required("format")
            guard let format = DataFormat(rawValue: formatName) else {
                throw Self.notOneOf(DataFormat.allCases.map(\.rawValue), key: "format", found: formatName, at: map["format"]!)
            }
            return format
        }
        self.init(format: format ?? .text)
        location = map.position.description
        for entry in map.entries { positions[entry.key] = entry.value.position.description }

        for key in ["train", "eval", "test"] {
            guard let found = errors.attempt(key, marking: &undecoded, {
                try map.optionalResolvedPath(key, environment: environment, folder: folder)
            }), let path = found else { continue }
            pathsAsWritten[key] = path.written
            switch key {
            case "train": train = path.url
            case "eval": eval = path.url
            default: test = path.url
            }
        }

        func read<T>(_ key: String, _ value: () throws -> T?) -> T? {
            errors.attempt(key, marking: &undecoded, value) ?? nil
        }
        text = read("text") { try map.column("text") } ?? text
        textPair = read("text_pair") { try map.column("text_pair") }
        label = read("label") { try map.column("label") } ?? label
        id = read("id") { try map.column("id") }
        header = read("header") { try map.optional("header", as: Bool.self) } ?? header
        labels = read("labels") { try map.labelList() }
        maxTrainExamples = read("max_train_examples") { try map.count("max_train_examples", atLeast: 1) }
        maxEvalExamples = read("max_eval_examples") { try map.count("max_eval_examples", atLeast: 1) }
        skipEvalExamples = read("skip_eval_examples") { try map.count("skip_eval_examples", atLeast: 0) } ?? 0

        tokenColumn = read("token_column") { try map.count("token_column", atLeast: 0) } ?? tokenColumn
        // negative counts from the end of the line (-1 = the last column)
        tagColumn = read("tag_column") { try map.optional("tag_column", as: Int.self) } ?? tagColumn
        scheme = read("scheme") { () throws -> String? in
            guard let schemeNode = map["scheme"], !schemeNode.isNull else { return nil }
            let name: String = try map.required("scheme")
            guard Self.schemes.contains(name) else {
                throw Self.notOneOf(Self.schemes, key: "scheme", found: name, at: schemeNode)
            }
            return name
        } ?? scheme

        skipInvalid = read("skip_invalid") { try map.optional("skip_invalid", as: Bool.self) } ?? skipInvalid
        lineByLine = read("line_by_line") { try map.optional("line_by_line", as: Bool.self) } ?? lineByLine
        self.undecoded = undecoded
    }

    /// "`format` must be one of tsv, csv, ...; did you mean `tsv`?"
    static func notOneOf(_ allowed: [String], key: String, found: String, at node: YAMLNode) -> TaskFileError {
        let suggestion = YAMLEditDistance.closest(to: found, among: Set(allowed)).map { "; did you mean `\($0)`?" } ?? ""
        return TaskFileError(.invalidValue(key: key), at: node.position,
                             "`\(key)` must be one of \(allowed.joined(separator: ", ")), found `\(found)`\(suggestion)")
    }
}

extension YAMLMapping {
    /// A column reference: a plain integer is a 0-based index, anything else a header name (or
    /// jsonl key); `"0"` in quotes is the header named 0.
    fileprivate func column(_ key: String) throws -> ColumnReference? {
        guard let node = self[key], !node.isNull else { return nil }
        if let scalar = node.scalar, let index = Int(yamlScalar: scalar) {
            guard index >= 0 else {
                throw TaskFileError(.outOfRange(key: key), at: node.position,
                                    "`\(key)`: a column index counts from 0, found \(index)")
            }
            return .index(index)
        }
        let name: String = try required(key)
        guard !name.isEmpty else {
            throw TaskFileError(.invalidValue(key: key), at: node.position, "`\(key)`: a column name must not be empty")
        }
        return .name(name)
    }

    /// An integer at least `minimum`, or nil if absent.
    fileprivate func count(_ key: String, atLeast minimum: Int) throws -> Int? {
        guard let value: Int = try optional(key) else { return nil }
        guard value >= minimum else {
            throw TaskFileError(.outOfRange(key: key), at: self[key]!.position,
                                "`\(key)` must be at least \(minimum), found \(value)")
        }
        return value
    }

    /// `labels: [neg, pos]`: non-empty, no repeats. Numbers are kept as written (`[0, 1]`).
    fileprivate func labelList() throws -> [String]? {
        guard let labels: [String] = try optional("labels") else { return nil }
        let node = self["labels"]!
        guard !labels.isEmpty else {
            throw TaskFileError(.invalidValue(key: "labels"), at: node.position, "`labels` must not be an empty list")
        }
        var seen: Set<String> = []
        for (label, element) in zip(labels, node.sequenceElements ?? []) where !seen.insert(label).inserted {
            throw TaskFileError(.invalidValue(key: "labels"), at: element.position, "label `\(label)` is listed twice")
        }
        return labels
    }
}
