// Decoding a task file records each error where it finds it and goes on with the next key or
// task, so that one run reports every mistake. A value that failed is left at its default and its
// key is listed as undecoded (TaskSpec.undecoded, DataSpec.undecoded), so that the checks after
// decoding stay quiet about what follows from it: a `format: tvs` is one error, not also "this
// key has no meaning for format text".

struct TaskFileErrorCollector {
    private(set) var problems: [TaskFileProblem] = []

    var isEmpty: Bool { problems.isEmpty }

    mutating func record(_ error: any Error) {
        switch error {
        case let error as YAMLError: problems.append(error.problem)
        case let error as TaskFileError: problems.append(error.problem)
        case let problem as TaskFileProblem: problems.append(problem)
        default: problems.append(TaskFileProblem(location: "", message: "\(error)"))
        }
    }

    /// What `read` returns, or nil once its error is recorded.
    mutating func attempt<T>(_ read: () throws -> T) -> T? {
        do {
            return try read()
        } catch {
            record(error)
            return nil
        }
    }

    /// As `attempt`, and a failure adds `key` to `undecoded`.
    mutating func attempt<T>(_ key: String, marking undecoded: inout Set<String>, _ read: () throws -> T) -> T? {
        guard let value = attempt(read) else {
            undecoded.insert(key)
            return nil
        }
        return value
    }

    /// Every key of `map` that is not in `allowed`, each at the key.
    mutating func recordUnknownKeys(of map: YAMLMapping, allowed: Set<String>) {
        for error in map.unknownKeyErrors(allowed: allowed) { record(error) }
    }
}
