import Foundation

// Reading a task file: parse (libyaml, positions kept), apply `--set` overrides to the tree, then
// decode the tree into TaskFile. Every error names the file, line and column of the value (or
// the `--set` that made it). The format is documented key by key in docs/tasks.md.

extension TaskFile {
    static let yamlKeys: Set<String> = ["model", "output", "defaults", "tasks"]

    /// Reads the task file at `url`, applies `overrides` (the arguments of `--set`, each
    /// `key=value`), and decodes it. `environment` expands `${VAR}` in paths (pass
    /// `ProcessInfo.processInfo.environment` from the CLI). Throws TaskFileErrors holding every
    /// error of the file.
    ///
    /// An override whose key is a bare training setting (`seed=43`) applies to every task: it is
    /// set in `defaults:` and in each task that sets that key itself (the command line is the
    /// most specific word). `tasks.NAME.KEY=value` sets one task's key.
    public static func load(url: URL, overrides: [String] = [], environment: [String: String]) throws -> TaskFile {
        let (file, errors) = try loadCollectingErrors(url: url, overrides: overrides, environment: environment)
        guard errors.isEmpty else { throw TaskFileErrors(path: file.url.path, problems: errors, overrides: overrides) }
        return file
    }

    /// `bertkit validate` and `run`: loads the file as `load` does, keeps the tasks named in
    /// `names` (all if empty; in file order) and runs `checks` on them (`validationProblems`
    /// with the registered heads); throws TaskFileErrors holding the problems of all three at
    /// once, so that one run shows every mistake.
    public static func load(url: URL, overrides: [String] = [], environment: [String: String], selecting names: [String],
                            checks: (TaskFile) -> [TaskFileProblem]) throws -> TaskFile {
        var (file, problems) = try loadCollectingErrors(url: url, overrides: overrides, environment: environment)
        var selection = TaskFileErrorCollector()
        // With no task decoded, every name would be "unknown": the file's own errors say why.
        if !file.tasks.isEmpty {
            if let selected = selection.attempt({ try file.selecting(names: names) }) {
                file = selected
            } else {
                file.tasks = file.tasks.filter { names.contains($0.name) }  // the names that exist are still checked
            }
        }
        problems += selection.problems + checks(file)
        guard problems.isEmpty else { throw TaskFileErrors(path: file.url.path, problems: problems, overrides: overrides) }
        return file
    }

    /// As `load`, but the decoding errors are returned, beside a file holding every task whose
    /// name could be read (a value that failed is left at its default; `validationProblems`
    /// skips what depends on it). Throws TaskFileErrors only when nothing can be decoded: the
    /// file is unreadable, not UTF-8, or not one YAML document (libyaml stops at the first
    /// syntax error; an alias to nothing or past the size limits stops the parse too). A
    /// repeated key is one error among the others.
    static func loadCollectingErrors(url: URL, overrides: [String] = [],
                                     environment: [String: String]) throws -> (file: TaskFile, errors: [TaskFileProblem]) {
        let url = url.standardizedFileURL
        let document: YAMLParser.Document
        do {
            document = try YAMLParser.document(contentsOfFile: url.path)
        } catch let error as YAMLError {
            throw TaskFileErrors(path: url.path, problems: [error.problem])
        }
        var root = document.root
        var errors = TaskFileErrorCollector()
        for duplicate in document.duplicateKeys { errors.record(duplicate) }
        for argument in overrides {
            // a bad override is skipped: the file and the other overrides are still checked
            if let applied = errors.attempt({ try apply(YAMLOverride(parsing: argument), to: root) }) { root = applied }
        }
        let file = TaskFile(yaml: root, url: url, environment: environment, errors: &errors)
        return (file, errors.problems)
    }

    /// Applies one override; a bare training key goes under `defaults` and into every task
    /// that has that key.
    static func apply(_ override: YAMLOverride, to root: YAMLNode) throws -> YAMLNode {
        guard override.keyPath.count == 1, TrainingSettings.yamlKeys.contains(override.keyPath[0]),
              var entries = root.mappingEntries else {
            return try override.apply(to: root)
        }
        let key = override.keyPath[0]
        if let index = entries.firstIndex(where: { $0.key == "tasks" }), let tasks = entries[index].value.sequenceElements {
            let overridden = try tasks.map { task in
                task.mappingEntries?.contains(where: { $0.key == key }) == true ? try override.apply(to: task) : task
            }
            entries[index].value = YAMLNode(.sequence(overridden), at: entries[index].value.position)
        }
        // Applied to the `defaults` node itself, so the position stays the `--set` the user typed.
        if let index = entries.firstIndex(where: { $0.key == "defaults" }) {
            entries[index].value = try override.apply(to: entries[index].value)
        } else {
            let empty = YAMLNode(.mapping([]), at: override.position)
            entries.append(YAMLMappingEntry(key: "defaults", keyPosition: override.position,
                                            value: try override.apply(to: empty)))
        }
        return YAMLNode(.mapping(entries), at: root.position)
    }

    /// Decodes an already parsed (and overridden) tree; `url` is the task file, whose folder
    /// relative paths are resolved against. Throws TaskFileErrors holding every error.
    init(yaml root: YAMLNode, url: URL, environment: [String: String]) throws {
        var errors = TaskFileErrorCollector()
        self.init(yaml: root, url: url, environment: environment, errors: &errors)
        guard errors.isEmpty else { throw TaskFileErrors(path: url.path, problems: errors.problems) }
    }

    /// As above, recording each error in `errors` and going on with the next key or task; the
    /// file holds the tasks whose names could be read, except a second task of the same name.
    init(yaml root: YAMLNode, url: URL, environment: [String: String], errors: inout TaskFileErrorCollector) {
        let folder = url.deletingLastPathComponent()
        guard let map = errors.attempt({ try root.mapping() }) else {
            self.init(url: url, model: folder, output: resolve("runs", against: folder), tasks: [])
            return
        }
        errors.recordUnknownKeys(of: map, allowed: Self.yamlKeys)
        let decodedModel = errors.attempt { try map.requiredResolvedPath("model", environment: environment, folder: folder) }
        // a placeholder the tasks inherit, marked undecoded so that nothing looks for it
        let model = decodedModel ?? TaskFilePath(written: "", url: folder, position: map.position)
        let writtenOutput = errors.attempt { try map.optionalResolvedPath("output", environment: environment, folder: folder) } ?? nil
        let output = writtenOutput ?? TaskFilePath(written: "runs", url: resolve("runs", against: folder), position: map.position)

        var defaults = TrainingSettings()
        var defaultPositions: [String: String] = [:]
        var undecodedDefaults: Set<String> = []
        if let found = errors.attempt({ try map.optionalNestedMapping("defaults") }), let defaultsMap = found {
            errors.recordUnknownKeys(of: defaultsMap, allowed: TrainingSettings.yamlKeys)
            (defaults, defaultPositions, undecodedDefaults) = defaults.applying(defaultsMap, errors: &errors)
        }

        let taskNodes = errors.attempt { try map.sequence("tasks") } ?? []
        if taskNodes.isEmpty, let tasksNode = map["tasks"], tasksNode.sequenceElements != nil {
            errors.record(TaskFileError(.noTasks, at: tasksNode.position, "`tasks` is empty: list at least one task"))
        }
        let inherited = TaskSpec.Inherited(training: defaults, trainingPositions: defaultPositions, undecodedTraining: undecodedDefaults,
                                           model: model, modelUndecoded: decodedModel == nil, environment: environment, folder: folder)
        var tasks: [TaskSpec] = []
        for node in taskNodes {
            guard let task = TaskSpec.decode(node, inheriting: inherited, errors: &errors) else { continue }
            if let first = tasks.first(where: { $0.name == task.name }) {
                errors.record(TaskFileError(.duplicateTaskName(name: task.name, first: first.position(of: "name")),
                                            at: task.position(of: "name"),
                                            "two tasks are named `\(task.name)` (the first at \(first.position(of: "name"))); "
                                            + "names must be unique, each becomes a folder under `output`"))
                continue
            }
            _ = errors.attempt { try Self.checkCrossSettings(task) }
            _ = errors.attempt { try Self.checkModelReference(task, earlier: tasks) }
            tasks.append(task)
        }

        var positions: [String: String] = [:]
        for entry in map.entries { positions[entry.key] = entry.value.position.description }
        self.init(url: url, model: model.url, output: output.url, tasks: tasks, positions: positions,
                  pathsAsWritten: ["model": model.written, "output": output.written])
    }

    /// `model: {task: NAME, ...}` names a task declared before this one (tasks run in file order)
    /// that writes the checkpoint: `last/` needs `save_checkpoints`, `best/` evaluations too.
    private static func checkModelReference(_ task: TaskSpec, earlier: [TaskSpec]) throws {
        guard let reference = task.modelReference else { return }
        let at = task.position(of: "model")
        // what the earlier task's own errors already cover is not reported again here
        guard let source = earlier.first(where: { $0.name == reference.task }) else {
            let names = earlier.map(\.name)
            let hint = reference.task == task.name ? "a task cannot start from its own checkpoint"
                : names.isEmpty ? "no task comes before it" : "the tasks before it: " + names.joined(separator: ", ")
            throw TaskFileError(.invalidValue(key: "model"), at: at,
                                "task `\(task.name)`: `model` names task `\(reference.task)`, which is not declared before it in the file (\(hint))")
        }
        if !source.training.saveCheckpoints && !source.undecoded.contains("save_checkpoints") {
            throw TaskFileError(.invalidValue(key: "model"), at: at,
                                "task `\(task.name)`: `model` is task `\(source.name)`'s \(reference.checkpoint.rawValue)/ checkpoint, but that task "
                                + "sets `save_checkpoints: false` (at \(source.position(of: "save_checkpoints")))")
        }
        if reference.checkpoint == .best && source.data.eval == nil && !source.undecoded.contains("data")
            && !source.data.undecoded.contains("eval") {
            throw TaskFileError(.invalidValue(key: "model"), at: at,
                                "task `\(task.name)`: `model` is task `\(source.name)`'s best/ checkpoint, which only evaluations write, "
                                + "and that task has no `data.eval`; use `checkpoint: last`")
        }
    }

    /// Settings that are fine alone but not together, once defaults and the task's own keys
    /// are merged: the error points at whichever of the two keys was written closest to the task.
    private static func checkCrossSettings(_ task: TaskSpec) throws {
        let training = task.training
        let readKeys: Set<String> = ["data", "doc_stride", "max_seq_length"]
        guard task.undecoded.isDisjoint(with: readKeys), !task.data.undecoded.contains("format") else { return }
        if task.data.format == .squad && training.docStride >= training.maxSeqLength {
            let key = task.positions["doc_stride"] != nil ? "doc_stride" : "max_seq_length"
            throw TaskFileError(.outOfRange(key: key), at: task.position(of: key),
                                "task `\(task.name)`: `doc_stride` (\(training.docStride)) must be less than "
                                + "`max_seq_length` (\(training.maxSeqLength)): windows overlap by doc_stride tokens "
                                + "(SQuAD is usually run with max_seq_length 384, doc_stride 128)")
        }
    }
}
