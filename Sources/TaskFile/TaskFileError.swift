// Errors of the task file that are about meaning rather than YAML shape: a value out of range, a
// name that is not allowed, a task listed twice, a task asked for that the file does not have.
// Shape errors (wrong type, unknown key, missing key) stay YAMLErrors; both print as
// `<where>: <message>`, so the runner shows either the same way.

struct TaskFileError: Error, Equatable, Sendable, CustomStringConvertible {
    enum Kind: Equatable, Sendable {
        /// A number outside its allowed range (`batch_size: 0`, `warmup_ratio: 1.5`).
        case outOfRange(key: String)
        /// A value of the right type that is not one of the allowed ones (`format: xml`, a task
        /// name with a `/`, an empty path).
        case invalidValue(key: String)
        /// Two tasks with the same `name`; `first` is where the first one is.
        case duplicateTaskName(name: String, first: String)
        /// `tasks:` is an empty list.
        case noTasks
        /// `selecting(names:)` was given a name no task has.
        case unknownTask(String)
    }

    let kind: Kind
    /// `path:line:column` of the offending value, `--set key=value` for an override, or the task
    /// file's path when nothing more precise exists.
    let location: String
    let message: String

    init(_ kind: Kind, at location: String, _ message: String) {
        self.kind = kind
        self.location = location
        self.message = message
    }

    init(_ kind: Kind, at position: YAMLPosition, _ message: String) {
        self.init(kind, at: position.description, message)
    }

    var description: String { "\(location): \(message)" }
}
