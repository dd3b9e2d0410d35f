import Backbone
import Foundation
import Runner
import Tensor

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
        let url = Scratch.write(bytes, as: "config.json", in: configFolder)
        let config = try BertConfig(contentsOf: url)
        do {
            let copy = Scratch.root.appendingPathComponent("saved-config.json")
            try config.write(to: copy)
            let again = try BertConfig(contentsOf: copy)
            try require(again.json == config.json, "a config.json saved and read back reads differently")
        } catch let failure as FuzzFailure {
            throw failure
        } catch {
            throw FuzzFailure(message: "an accepted config.json cannot be saved and read back: \(error)")
        }
        let description = try CheckpointDescription(of: ModelFolder(configFolder))
        try PredictionFlow.answer([PredictionFlow.sampleInput], with: try PredictionFlow.kind(for: description),
                                  kindName: description.head.taskKind)
    }

    /// bertkit.json beside a valid config.json: the head by its registered name and the settings
    /// it was trained with, then a prediction as `bertkit predict` makes it with them.
    static let manifest = FuzzTarget("bertkit-json", "bertkit.json in a checkpoint folder -> CheckpointDescription -> a prediction") { bytes in
        let folder = manifestFolder
        Scratch.write(bytes, as: "bertkit.json", in: folder)
        let description = try CheckpointDescription(of: ModelFolder(folder))
        try PredictionFlow.answer([PredictionFlow.sampleInput], with: try PredictionFlow.kind(for: description),
                                  kindName: description.head.taskKind)
    }

    /// The folder config.json is written into: beside it a model.safetensors of 4,096 values, as
    /// many as a classifier of 128 classes over tiny-bert's 32 dimensions (the labels of a
    /// checkpoint are checked against the weights it holds).
    static let configFolder: URL = {
        _ = BuiltInsOnce.register
        let folder = Scratch.folder("config-json")
        try! SafeTensors.write([("classifier.weight", Tensor(zeros: [128, 32]))], to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }()

    /// The folder bertkit.json is written into, with tiny-bert's config.json beside it.
    static let manifestFolder: URL = {
        _ = BuiltInsOnce.register
        let folder = Scratch.folder("bertkit-json")
        try! FileManager.default.copyItem(at: Fixtures.folder.appendingPathComponent("tiny-bert/config.json"),
                                          to: folder.appendingPathComponent("config.json"))
        Scratch.write([], as: "model.safetensors", in: folder)
        return folder
    }()
}

/// The heads and task kinds BertKit ships, registered once per process before a target needs them.
enum BuiltInsOnce {
    static let register: Void = { BuiltIns.register() }()
}
