import Backbone
import Foundation
import Runner

/// The JSON files of a model folder that say what the model is: config.json (transformers'),
/// bertkit.json (a checkpoint `bertkit run` wrote).
enum ModelFolderTargets {
    static let all = [config, manifest]

    /// config.json: BertConfig, saved and read back (the second save must equal the first), then
    /// what a transformers checkpoint folder says with it (the head from `architectures`, the
    /// labels from `id2label` or `num_labels`), and a prediction as `bertkit predict` makes it.
    static let config = FuzzTarget(
        "config-json", "config.json -> BertConfig (save -> read gives the same JSON) -> CheckpointDescription -> a prediction"
    ) { bytes in
        _ = BuiltInsOnce.register
        let folder = Scratch.folder("config-json")
        let url = Scratch.write(bytes, as: "config.json", in: folder)
        Scratch.write([], as: "model.safetensors", in: folder)  // ModelFolder.validate wants one
        let config = try BertConfig(contentsOf: url)
        do {
            let copy = folder.appendingPathComponent("saved.json")
            try config.write(to: copy)
            let again = try BertConfig(contentsOf: copy)
            try require(again.json == config.json, "a config.json saved and read back reads differently")
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            throw FuzzFailure(message: "an accepted config.json cannot be saved and read back: \(error)")
        }
        let description = try CheckpointDescription(of: ModelFolder(folder))
        try PredictionFlow.answer([PredictionFlow.sampleInput], with: try PredictionFlow.kind(for: description),
                                  kindName: description.head.taskKind)
    }

    /// bertkit.json beside a valid config.json: the head by its registered name and the settings
    /// it was trained with, then a prediction as `bertkit predict` makes it with them.
    static let manifest = FuzzTarget("bertkit-json", "bertkit.json in a checkpoint folder -> CheckpointDescription -> a prediction") { bytes in
        _ = BuiltInsOnce.register
        let folder = Scratch.folder("bertkit-json")
        Scratch.write(Array(#"{"vocab_size": 2000, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}"#.utf8),
                      as: "config.json", in: folder)
        Scratch.write([], as: "model.safetensors", in: folder)
        Scratch.write(bytes, as: "bertkit.json", in: folder)
        let description = try CheckpointDescription(of: ModelFolder(folder))
        try PredictionFlow.answer([PredictionFlow.sampleInput], with: try PredictionFlow.kind(for: description),
                                  kindName: description.head.taskKind)
    }
}

/// The heads and task kinds BertKit ships, registered once per process before a target needs them.
enum BuiltInsOnce {
    static let register: Void = { BuiltIns.register() }()
}
