import Foundation

// Reading a task file: parse (libyaml, positions kept), apply `--set` overrides to the tree, then
// decode the tree into TaskFile. Every error names the file, line and column of the value (or
// the `--set` that made it). The format is documented key by key in docs/tasks.md.

extension TaskFile {
    static let yamlKeys: Set<String> = ["model", "output", "defaults", "tasks"]

    /// Reads the task file at `url`, applies `overrides` (the arguments of `--set`, each
    /// `key=value`), and decodes it. `environment` expands `${VAR}` in paths (pass
    /// `ProcessInfo.processInfo.environment` from the CLI).
    ///
    /// An override whose key is a bare training setting (`seed=43`) applies to every task: it is
    /// set in `defaults:` and in each task that sets that key itself (the command line is the
    /// most specific word). `tasks.NAME.KEY=value` sets one task's key.
    public static func load(url: URL, overrides: [String] = [], environment: [String: String]) throws -> TaskFile {
        let url = url.standardizedFileURL
        var root = try YAMLParser.parse(contentsOfFile: url.path)
        for argument in overrides {
            root = try apply(YAMLOverride(parsing: argument), to: root)
        }
        return try TaskFile(yaml: root, url: url, environment: environment)
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
    /// relative paths are resolved against.
    init(yaml root: YAMLNode, url: URL, environment: [String: String]) throws {
        let map = try root.mapping()
        try map.rejectUnknownKeys(allowed: Self.yamlKeys)
        let folder = url.deletingLastPathComponent()
        let model = try map.requiredResolvedPath("model", environment: environment, folder: folder)
        let output = try map.optionalResolvedPath("output", environment: environment, folder: folder)
            ?? TaskFilePath(written: "runs", url: resolve("runs", against: folder), position: map.position)

        var defaults = TrainingSettings()
        var defaultPositions: [String: String] = [:]
        if let defaultsMap = try map.optionalNestedMapping("defaults") {
            try defaultsMap.rejectUnknownKeys(allowed: TrainingSettings.yamlKeys)
            (defaults, defaultPositions) = try defaults.applying(defaultsMap)
        }

        let taskNodes = try map.sequence("tasks")
        guard !taskNodes.isEmpty else {
            throw TaskFileError(.noTasks, at: map["tasks"]!.position, "`tasks` is empty: list at least one task")
        }
        let inherited = TaskSpec.Inherited(training: defaults, trainingPositions: defaultPositions, model: model,
                                           environment: environment, folder: folder)
        var tasks: [TaskSpec] = []
        for node in taskNodes {
            let task = try TaskSpec(yaml: node, inheriting: inherited)
            if let first = tasks.first(where: { $0.name == task.name }) {
                throw TaskFileError(.duplicateTaskName(name: task.name, first: first.position(of: "name")),
                                    at: task.position(of: "name"),
                                    "two tasks are named `\(task.name)` (the first at \(first.position(of: "name"))); "
                                    + "names must be unique, each becomes a folder under `output`")
            }
            try Self.checkCrossSettings(task)
            try Self.checkModelReference(task, earlier: tasks)
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
        guard let source = earlier.first(where: { $0.name == reference.task }) else {
            let names = earlier.map(\.name)
            let hint = reference.task == task.name ? "a task cannot start from its own checkpoint"
                : names.isEmpty ? "no task comes before it" : "the tasks before it: " + names.joined(separator: ", ")
            throw TaskFileError(.invalidValue(key: "model"), at: at,
                                "task `\(task.name)`: `model` names task `\(reference.task)`, which is not declared before it in the file (\(hint))")
        }
        if !source.training.saveCheckpoints {
            throw TaskFileError(.invalidValue(key: "model"), at: at,
                                "task `\(task.name)`: `model` is task `\(source.name)`'s \(reference.checkpoint.rawValue)/ checkpoint, but that task "
                                + "sets `save_checkpoints: false` (at \(source.position(of: "save_checkpoints")))")
        }
        if reference.checkpoint == .best && source.data.eval == nil {
            throw TaskFileError(.invalidValue(key: "model"), at: at,
                                "task `\(task.name)`: `model` is task `\(source.name)`'s best/ checkpoint, which only evaluations write, "
                                + "and that task has no `data.eval`; use `checkpoint: last`")
        }
    }

    /// Settings that are fine alone but not together, once defaults and the task's own keys
    /// are merged: the error points at whichever of the two keys was written closest to the task.
    private static func checkCrossSettings(_ task: TaskSpec) throws {
        let training = task.training
        if task.data.format == .squad && training.docStride >= training.maxSeqLength {
            let key = task.positions["doc_stride"] != nil ? "doc_stride" : "max_seq_length"
            throw TaskFileError(.outOfRange(key: key), at: task.position(of: key),
                                "task `\(task.name)`: `doc_stride` (\(training.docStride)) must be less than "
                                + "`max_seq_length` (\(training.maxSeqLength)): windows overlap by doc_stride tokens "
                                + "(SQuAD is usually run with max_seq_length 384, doc_stride 128)")
        }
    }
}
