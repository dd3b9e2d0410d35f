// Everything a user can get wrong in a dataset file, each naming the file and, where there is
// one, the 1-based line: `path:line: message`.

enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    case fileNotFound(path: String)
    case unreadableFile(path: String, reason: String)
    /// The file is empty, holds only a header or blank lines, or `limit` was 0.
    case noExamples(path: String)
    /// The format has no classification reader (conll and squad have their own).
    case unsupportedFormat(path: String, format: String)
    case invalidUTF8(path: String, line: Int)
    /// A tsv/csv row with fewer fields than the header (or than the columns the spec uses).
    case tooFewColumns(path: String, line: Int, found: Int, expected: Int)
    /// A column named in the spec that the header does not have.
    case unknownColumn(path: String, line: Int, column: String, header: [String])
    /// A 0-based column index that is negative or past the header's columns.
    case columnIndexOutOfRange(path: String, line: Int, index: Int, columnCount: Int)
    /// A column given by name in a tsv/csv file read with `header: false`.
    case namedColumnWithoutHeader(path: String, column: String)
    /// jsonl objects have keys, not positions.
    case indexColumnInJSONL(path: String, index: Int)
    case invalidJSON(path: String, line: Int, reason: String)
    case notAJSONObject(path: String, line: Int, found: String)
    case missingKey(path: String, line: Int, key: String)
    case wrongValueType(path: String, line: Int, key: String, expected: String, found: String)
    /// A csv quoted field that never closes; `line` is where its opening quote is.
    case unterminatedQuote(path: String, line: Int)
    case malformedCSV(path: String, line: Int, reason: String)
    /// An example without a label where one is needed (training or evaluation data).
    case missingLabel(path: String, line: Int)
    /// A training label that the task file's `labels:` list does not contain.
    case labelNotDeclared(path: String, line: Int, label: String, declared: [String])
    /// An evaluation label that the label list (from training or `labels:`) does not contain.
    case unknownLabel(path: String, line: Int, label: String, known: [String])

    var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the file: \(reason)"
        case .noExamples(let path):
            return "no examples in \(path)"
        case .unsupportedFormat(let path, let format):
            return "\(path): format `\(format)` is not a classification format (use tsv, csv or jsonl)"
        case .invalidUTF8(let path, let line):
            return "\(path):\(line): the line is not valid UTF-8"
        case .tooFewColumns(let path, let line, let found, let expected):
            return "\(path):\(line): the row has \(found) column\(found == 1 ? "" : "s"), expected \(expected)"
        case .unknownColumn(let path, let line, let column, let header):
            return "\(path):\(line): no column `\(column)` in the header; its columns are "
                + header.map { "`\($0)`" }.joined(separator: ", ")
        case .columnIndexOutOfRange(let path, let line, let index, let count):
            return "\(path):\(line): column index \(index) is out of range; the header has \(count) column\(count == 1 ? "" : "s") (0-based: 0...\(count - 1))"
        case .namedColumnWithoutHeader(let path, let column):
            return "\(path): column `\(column)` is given by name but the file is read without a header (header: false); give a 0-based index instead"
        case .indexColumnInJSONL(let path, let index):
            return "\(path): column \(index) is given by index, but jsonl objects have keys; give the key's name instead"
        case .invalidJSON(let path, let line, let reason):
            return "\(path):\(line): the line is not valid JSON (\(reason))"
        case .notAJSONObject(let path, let line, let found):
            return "\(path):\(line): expected a JSON object, found \(found)"
        case .missingKey(let path, let line, let key):
            return "\(path):\(line): the object has no key `\(key)`"
        case .wrongValueType(let path, let line, let key, let expected, let found):
            return "\(path):\(line): `\(key)` must be \(expected), found \(found)"
        case .unterminatedQuote(let path, let line):
            return "\(path):\(line): the quoted field opened on this line is never closed"
        case .malformedCSV(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .missingLabel(let path, let line):
            return "\(path):\(line): the example has no label"
        case .labelNotDeclared(let path, let line, let label, let declared):
            return "\(path):\(line): label `\(label)` is not in the task's `labels` list: "
                + declared.map { "`\($0)`" }.joined(separator: ", ")
        case .unknownLabel(let path, let line, let label, let known):
            return "\(path):\(line): label `\(label)` does not occur in the training data; the known labels are "
                + known.map { "`\($0)`" }.joined(separator: ", ")
        }
    }
}
