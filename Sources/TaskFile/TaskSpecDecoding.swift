import Foundation
import Backbone

// One entry of `tasks:`. Its own keys, plus any training key, which overrides `defaults:`.

extension TaskSpec {
    static let ownKeys: Set<String> = ["name", "head", "head_config", "model", "data", "metrics"]
    static var yamlKeys: Set<String> { ownKeys.union(TrainingSettings.yamlKeys) }

    /// What the task inherits from the top of the file.
    struct Inherited {
        var training: TrainingSettings
        var trainingPositions: [String: String]
        /// Training keys of `defaults:` whose values could not be decoded.
        var undecodedTraining: Set<String>
        var model: TaskFilePath
        /// The file's `model` could not be decoded (`model` is then a placeholder).
        var modelUndecoded: Bool
        var environment: [String: String]
        var folder: URL
    }

    /// Decodes one entry of `tasks:`. Each key's error is recorded in `errors` and decoding goes
    /// on; nil when the entry is not a mapping or has no usable name (nothing can refer to it).
    static func decode(_ node: YAMLNode, inheriting inherited: Inherited, errors: inout TaskFileErrorCollector) -> TaskSpec? {
        guard let map = errors.attempt({ try node.mapping() }) else { return nil }
        errors.recordUnknownKeys(of: map, allowed: yamlKeys)
        var undecoded: Set<String> = []
        let name = errors.attempt("name", marking: &undecoded) { () throws -> String in
            let name: String = try map.required("name")
            try checkName(name, at: map["name"]!)
            return name
        }
        let head = errors.attempt("head", marking: &undecoded) { () throws -> String in
            let head: String = try map.required("head")
            guard !head.isEmpty else {
                throw TaskFileError(.invalidValue(key: "head"), at: map["head"]!.position, "`head` must not be empty")
            }
            return head
        }
        var data = DataSpec(format: .text)  // stays a placeholder, marked undecoded, if `data` is not a mapping
        if let dataMap = errors.attempt("data", marking: &undecoded, { try map.nestedMapping("data") }) {
            data = DataSpec(yaml: dataMap, environment: inherited.environment, folder: inherited.folder, errors: &errors)
        }

        var headConfig: [String: JSONValue] = [:]
        if let found = errors.attempt("head_config", marking: &undecoded, { try map.optionalNestedMapping("head_config") }),
           let configMap = found {
            for entry in configMap.entries {
                headConfig[entry.key] = errors.attempt("head_config", marking: &undecoded) { try JSONValue(yamlNode: entry.value) }
            }
        }
        let own = errors.attempt("model", marking: &undecoded) { try ownModel(map, inheriting: inherited) }
        let model = own?.path ?? inherited.model
        if map["model"] == nil && inherited.modelUndecoded { undecoded.insert("model") }

        let (training, ownTrainingPositions, ownUndecodedTraining) = inherited.training.applying(map, errors: &errors)
        // a key the task writes itself replaces the `defaults:` value, decoded or not
        undecoded.formUnion(inherited.undecodedTraining.filter { !map.contains($0) }.union(ownUndecodedTraining))
        let metrics = errors.attempt("metrics", marking: &undecoded) { try map.optional("metrics", default: [String]()) } ?? []
        guard let name else { return nil }

        var positions = inherited.trainingPositions.merging(ownTrainingPositions) { $1 }
        for entry in map.entries { positions[entry.key] = entry.value.position.description }
        positions["model"] = model.position.description

        var task = TaskSpec(name: name, head: head ?? "", headConfig: headConfig, data: data,
                            metrics: metrics, training: training, model: model.url,
                            location: map.position.description, positions: positions, modelAsWritten: model.written)
        task.modelReference = own?.reference
        task.undecoded = undecoded
        return task
    }

    /// The task's own `model`, nil if it sets none: `model: {task: NAME, checkpoint: last}`
    /// names an earlier task's checkpoint (resolved against `output` by TaskFile); otherwise a path.
    private static func ownModel(_ map: YAMLMapping, inheriting inherited: Inherited) throws
        -> (reference: ModelReference?, path: TaskFilePath?) {
        if let reference = try modelReference(map) {
            return (reference, TaskFilePath(written: reference.written, url: inherited.model.url, position: map["model"]!.position))
        }
        return (nil, try map.optionalResolvedPath("model", environment: inherited.environment, folder: inherited.folder))
    }

    static let referenceKeys: Set<String> = ["task", "checkpoint"]

    /// `model: {task: NAME, checkpoint: last|best}` (checkpoint default `last`), or nil for a path.
    private static func modelReference(_ map: YAMLMapping) throws -> ModelReference? {
        guard let node = map["model"], node.mappingEntries != nil else { return nil }
        let reference = try node.mapping()
        try reference.rejectUnknownKeys(allowed: referenceKeys)
        let task: String = try reference.required("task")
        var checkpoint = ModelReference.Checkpoint.last
        if let checkpointNode = reference["checkpoint"], !checkpointNode.isNull {
            let name: String = try reference.required("checkpoint")
            guard let found = ModelReference.Checkpoint(rawValue: name) else {
                throw DataSpec.notOneOf(ModelReference.Checkpoint.allCases.map(\.rawValue), key: "checkpoint", found: name, at: checkpointNode)
            }
            checkpoint = found
        }
        return ModelReference(task: task, checkpoint: checkpoint, position: reference["task"]!.position.description)
    }

    /// A task name becomes a folder name under `output`: `[A-Za-z0-9._-]+`, and not `.` or `..`.
    private static func checkName(_ name: String, at node: YAMLNode) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "." || $0 == "_" || $0 == "-"
        }
        guard !name.isEmpty, allowed, name != ".", name != ".." else {
            throw TaskFileError(.invalidValue(key: "name"), at: node.position,
                                "task name \"\(name)\" is not usable as a folder name: use letters, digits, `.`, `_` and `-` "
                                + "(and not `.` or `..` alone)")
        }
    }
}
