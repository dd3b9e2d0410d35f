import Backbone
import Foundation
import Heads
import Tasks
import Tensor
import TaskFile

/// best/ and last/ checkpoints of a task: a Hugging Face folder (config.json with architectures
/// and id2label, model.safetensors, the tokenizer files), `bertkit.json`, and `trainer_state/`
/// (optimizer moments and TrainerState) for an exact resume. Written to a temporary folder and
/// renamed into place. On a data-parallel run only rank 0 writes (`writes`); every rank reads.
struct CheckpointStore {
    let taskDirectory: URL
    let sourceModel: URL
    let spec: TaskSpec
    let labels: [String]
    var writes = true

    var last: URL { taskDirectory.appendingPathComponent("last") }
    var best: URL { taskDirectory.appendingPathComponent("best") }

    /// What BertKit itself needs to use a checkpoint again (bertkit.json).
    struct Manifest: Codable {
        var task: String
        var head: String
        var headConfig: [String: JSONValue]
        var taskKind: String
        var labels: [String]
        var maxSeqLength: Int
        var note: String?
        /// Span extraction: the windows and answer search `bertkit predict` uses (absent in older files).
        var docStride: Int?
        var maxAnswerLength: Int?
        var nBestSize: Int?
        /// The precision the weights were trained in (fp32 or bf16; absent in older files).
        /// The weights themselves are always saved in fp32.
        var trainingPrecision: Precision?
    }

    func write(to folder: URL, model: TaskModel, descriptor: HeadDescriptor, optimizer: AdamW?, state: TrainerState?) throws {
        guard writes else { return }
        try AtomicDirectory.write(to: folder) { directory in
            try model.save(to: directory)
            // tokenizer.json too: a folder transformers 5 wrote has no vocab.txt
            for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
                let source = sourceModel.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: source.path) {
                    try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent(name))
                }
            }
            var note: String?
            if case .string(let pooling)? = spec.headConfig["pooling"], pooling != "pooler" {
                note = "trained with pooling `\(pooling)`: transformers' BertForSequenceClassification loads these weights but pools with the tanh pooler instead, so its predictions differ; use bertkit predict"
            }
            let manifest = Manifest(task: spec.name, head: spec.head, headConfig: spec.headConfig, taskKind: descriptor.taskKind,
                                    labels: labels, maxSeqLength: spec.training.maxSeqLength, note: note,
                                    docStride: spec.training.docStride, maxAnswerLength: spec.training.maxAnswerLength,
                                    nBestSize: spec.training.nBestSize, trainingPrecision: spec.training.precision)
            try JSONFile.write(manifest, to: directory.appendingPathComponent("bertkit.json"))
            if let optimizer, let state {
                let stateDirectory = directory.appendingPathComponent("trainer_state")
                try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
                let moments = optimizer.state()
                try SafeTensors.write(moments.moments, metadata: nil, to: stateDirectory.appendingPathComponent("optimizer.safetensors"))
                try JSONFile.write(state, to: stateDirectory.appendingPathComponent("state.json"))
            }
        }
    }

    /// Reads last/'s trainer state and optimizer moments.
    func readResumeState() throws -> (TrainerState, AdamWState) {
        try AtomicDirectory.recover(final: last)
        let stateDirectory = last.appendingPathComponent("trainer_state")
        let stateURL = stateDirectory.appendingPathComponent("state.json")
        guard FileManager.default.fileExists(atPath: stateURL.path) else {
            throw CLIError("\(last.path): no checkpoint to resume from (trainer_state/state.json is missing); run without --resume")
        }
        let state = try TrainerState.read(from: stateURL)
        let file = try SafeTensorsFile(contentsOf: stateDirectory.appendingPathComponent("optimizer.safetensors"))
        let moments = try file.names.map { (name: $0, tensor: try file.tensor(named: $0)) }
        return (state, AdamWState(metadata: state.optimizer, moments: moments))
    }
}
