// tsv and csv rows -> classification examples: the header (when the spec says there is one)
// names the columns, every later row becomes one example.

import TaskFile


enum DelimitedClassificationReader {
    static func read<Scanner: DelimitedRowScanner>(
        rows scanner: inout Scanner, bytes: UnsafeBufferPointer<UInt8>, spec: DataSpec,
        limit: Int?, requireLabels: Bool, path: String
    ) throws -> [ClassificationExample] {
        var header: [String]?
        var headerLine = 0
        if spec.header {
            guard let row = try scanner.nextRow() else { return [] }
            header = row.fields.map { $0.string(in: bytes) }
            headerLine = row.line
        }
        var columns = try DelimitedColumns(spec: spec, header: header, headerLine: headerLine,
                                           requireLabels: requireLabels, path: path)
        var examples: [ClassificationExample] = []
        while limit.map({ examples.count < $0 }) ?? true, let row = try scanner.nextRow() {
            if examples.isEmpty && header == nil && !requireLabels {
                columns.droppingLabelIfAbsent(fieldCount: row.fields.count)
            }
            // With a header every row must be as wide as it: a shorter row is misaligned even
            // when the columns in use happen to exist.
            let expected = header?.count ?? columns.fieldsNeeded
            guard row.fields.count >= expected else {
                throw DatasetError.tooFewColumns(path: path, line: row.line, found: row.fields.count, expected: expected)
            }
            func field(_ index: Int) -> String { row.fields[index].string(in: bytes) }
            examples.append(ClassificationExample(
                id: columns.id.map(field) ?? String(row.line),
                text: field(columns.text),
                textPair: columns.textPair.map(field),
                label: columns.label.map(field),
                line: row.line))
        }
        return examples
    }
}
