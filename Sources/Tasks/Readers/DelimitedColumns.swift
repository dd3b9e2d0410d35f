// Which field of a tsv/csv row holds the text, the pair, the label and the id: the spec's column
// references resolved against the header (names) or taken as 0-based indices.

import TaskFile


struct DelimitedColumns {
    var text: Int
    var textPair: Int?
    /// nil when the file has no label column and labels are not required.
    var label: Int?
    var id: Int?

    /// The fewest fields a row needs for every column in use.
    var fieldsNeeded: Int { [text, textPair, label, id].compactMap { $0 }.max()! + 1 }

    /// Resolves names against `header` (read from line `headerLine`). Without a header only
    /// indices are possible. A label column that is absent (not in the header, or an index past
    /// it) is allowed when
    /// `requireLabels` is false; without a header, absence is decided on the first row by
    /// `droppingLabelIfAbsent(fieldCount:)`.
    init(spec: DataSpec, header: [String]?, headerLine: Int, requireLabels: Bool, path: String) throws {
        func resolve(_ reference: ColumnReference) throws -> Int {
            switch (reference, header) {
            case (.name(let name), let header?):
                guard let index = header.firstIndex(of: name) else {
                    throw DatasetError.unknownColumn(path: path, line: headerLine, column: name, header: header)
                }
                return index
            case (.name(let name), nil):
                throw DatasetError.namedColumnWithoutHeader(path: path, column: name)
            case (.index(let index), let header):
                if index < 0 || (header != nil && index >= header!.count) {
                    throw DatasetError.columnIndexOutOfRange(path: path, line: headerLine, index: index,
                                                             columnCount: header?.count ?? 0)
                }
                return index
            }
        }
        text = try resolve(spec.text)
        textPair = try spec.textPair.map(resolve)
        id = try spec.id.map(resolve)
        if !requireLabels, let header, !Self.exists(spec.label, in: header) {
            label = nil
        } else {
            label = try resolve(spec.label)
        }
    }

    private static func exists(_ reference: ColumnReference, in header: [String]) -> Bool {
        switch reference {
        case .name(let name): return header.contains(name)
        case .index(let index): return header.indices.contains(index)
        }
    }

    /// For a headerless file read without requiring labels: a label index past the first row's
    /// fields means the file has no label column.
    mutating func droppingLabelIfAbsent(fieldCount: Int) {
        if let label, label >= fieldCount { self.label = nil }
    }
}
