// Where a YAML node came from: a place in a file, or a `--set` override on the command line.
// Every error the task file can produce prints as `<position>: <message>`.

enum YAMLPosition: Hashable, Sendable, CustomStringConvertible {
    /// A place in a file; line and column are 1-based (libyaml's marks are 0-based).
    case file(path: String, line: Int, column: Int)
    /// A node that came from (or was created by) a command-line override; the payload is the
    /// override as the user typed it, e.g. `--set defaults.learning_rate=3e-5`.
    case override(String)

    var description: String {
        switch self {
        case let .file(path, line, column): return "\(path):\(line):\(column)"
        case let .override(text): return text
        }
    }

    /// The 1-based line, or nil for an override.
    var line: Int? {
        if case let .file(_, line, _) = self { return line }
        return nil
    }

    /// The 1-based column, or nil for an override.
    var column: Int? {
        if case let .file(_, _, column) = self { return column }
        return nil
    }
}
