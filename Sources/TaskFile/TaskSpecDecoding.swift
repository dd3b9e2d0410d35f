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
        var model: TaskFilePath
        var environment: [String: String]
        var folder: URL
    }

    init(yaml node: YAMLNode, inheriting inherited: Inherited) throws {
        let map = try node.mapping()
        try map.rejectUnknownKeys(allowed: Self.yamlKeys)
        let name: String = try map.required("name")
        try Self.checkName(name, at: map["name"]!)
        let head: String = try map.required("head")
        guard !head.isEmpty else {
            throw TaskFileError(.invalidValue(key: "head"), at: map["head"]!.position, "`head` must not be empty")
        }
        let data = try DataSpec(yaml: map.nestedMapping("data"), environment: inherited.environment, folder: inherited.folder)

        var headConfig: [String: JSONValue] = [:]
        if let configMap = try map.optionalNestedMapping("head_config") {
            for entry in configMap.entries { headConfig[entry.key] = try JSONValue(yamlNode: entry.value) }
        }
        // `model: {task: NAME, checkpoint: last}` names an earlier task's checkpoint (resolved
        // against `output` by TaskFile); otherwise a path
        let reference = try Self.modelReference(map)
        let model = try reference.map { TaskFilePath(written: $0.written, url: inherited.model.url, position: map["model"]!.position) }
            ?? map.optionalResolvedPath("model", environment: inherited.environment, folder: inherited.folder)
            ?? inherited.model
        let (training, ownTrainingPositions) = try inherited.training.applying(map)

        var positions = inherited.trainingPositions.merging(ownTrainingPositions) { $1 }
        for entry in map.entries { positions[entry.key] = entry.value.position.description }
        positions["model"] = model.position.description

        self.init(name: name, head: head, headConfig: headConfig, data: data,
                  metrics: try map.optional("metrics", default: []), training: training, model: model.url,
                  location: map.position.description, positions: positions, modelAsWritten: model.written)
        modelReference = reference
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
