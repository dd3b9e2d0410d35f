// What a user can get wrong in a CoNLL file or in the columns that read it, each naming the file
// and the 1-based line: `path:line: message`.

enum CoNLLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A line with another number of columns than the file's first word line.
    case columnCount(path: String, line: Int, found: Int, expected: Int, firstLine: Int)
    /// `token_column` or `tag_column` past the columns of the file's first word line.
    case columnOutOfRange(path: String, line: Int, key: String, index: Int, columnCount: Int)
    /// `token_column` and `tag_column` name the same column once a negative index is resolved.
    case sameColumn(path: String, line: Int, index: Int)
    /// A tag that is not "O" nor PREFIX-TYPE with a prefix the scheme allows.
    case invalidTag(path: String, line: Int, tag: String, scheme: String)
    /// A training tag missing from the task's declared `labels:` list.
    case tagNotDeclared(path: String, line: Int, tag: String, declared: [String])
    /// The file has no sentence at all (or `limit` cut everything).
    case noSentences(path: String)

    var description: String {
        switch self {
        case let .columnCount(path, line, found, expected, firstLine):
            return "\(path):\(line): the line has \(found) column\(found == 1 ? "" : "s"), but the first word line (line \(firstLine)) has \(expected)"
        case let .columnOutOfRange(path, line, key, index, count):
            return "\(path):\(line): `\(key)` \(index) is out of range; the line has \(count) column\(count == 1 ? "" : "s") "
                + "(0...\(count - 1), or -\(count)...-1 counted from the end)"
        case let .sameColumn(path, line, index):
            return "\(path):\(line): `token_column` and `tag_column` both name column \(index)"
        case let .invalidTag(path, line, tag, scheme):
            let prefixes = scheme == "bioes" ? "B-, I-, E-, S-" : "B-, I-"
            return "\(path):\(line): tag \"\(tag)\" is not a valid \(scheme) tag (expected O or one of \(prefixes) followed by a type, such as B-PER)"
        case let .tagNotDeclared(path, line, tag, declared):
            return "\(path):\(line): tag `\(tag)` (in IOB2) is not in the task's `labels` list: " + declared.map { "`\($0)`" }.joined(separator: ", ")
        case let .noSentences(path):
            return "no sentences in \(path)"
        }
    }
}
