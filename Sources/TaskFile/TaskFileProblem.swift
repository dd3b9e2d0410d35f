// What a task file's reader reports: one problem is a place and a message; all the problems of a
// file are reported together, sorted, as spaCy's config check does, so that one run of `bertkit
// validate` shows every mistake instead of the first.

/// One problem in a task file: where (`path:line:column`, `--set key=value`, or the file's path
/// when nothing more precise exists) and what is wrong.
public struct TaskFileProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let location: String
    public let message: String

    public init(location: String, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}

/// Every problem found in one task file: what `TaskFile.load` throws. The file's own problems
/// come first, in line and column order; then those of `--set` overrides, in command-line order;
/// then those of the file as a whole (a `--task` it does not have).
public struct TaskFileErrors: Error, Sendable, CustomStringConvertible {
    /// The task file, as the locations name it.
    public let path: String
    public let problems: [TaskFileProblem]

    /// `problems` sorted, each listed once (a value reached through several aliases, or a bare
    /// `--set seed=...` applied to every task, fails with the same message at the same place).
    /// `overrides` are the arguments of `--set`, which order the problems located at them.
    public init(path: String, problems: [TaskFileProblem], overrides: [String] = []) {
        self.path = path
        var seen: Set<String> = []
        let unique = problems.filter { seen.insert($0.description).inserted }
        let overrideOrder = Dictionary(overrides.enumerated().map { ("--set \($1)", $0) }) { first, _ in first }
        // the offset breaks ties, so that problems at one place keep the order they were found in
        let keyed = unique.enumerated().map { offset, problem in
            let (rank, first, second) = Self.sortKey(problem.location, overrideOrder: overrideOrder)
            return (key: (rank, first, second, offset), problem: problem)
        }
        self.problems = keyed.sorted { $0.key < $1.key }.map(\.problem)
    }

    /// One line per problem, `where: what`; a file with one problem prints exactly that problem.
    public var description: String { problems.map(\.description).joined(separator: "\n") }

    /// (0, line, column) for a place in the file (`path:line:column`), (1, index, 0) for the
    /// override at `index`, (2, 0, 0) for anything else.
    private static func sortKey(_ location: String, overrideOrder: [String: Int]) -> (Int, Int, Int) {
        if location.hasPrefix("--set ") { return (1, overrideOrder[location] ?? overrideOrder.count, 0) }
        let parts = location.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]) else {
            return (2, 0, 0)
        }
        return (0, line, column)
    }
}

extension YAMLError {
    var problem: TaskFileProblem { TaskFileProblem(location: position.description, message: message) }
}

extension TaskFileError {
    var problem: TaskFileProblem { TaskFileProblem(location: location, message: message) }
}
