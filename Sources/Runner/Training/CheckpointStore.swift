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

    /// A checkpoint refused because one of its parameters is NaN or infinite.
    struct NonFiniteParameter: Error, CustomStringConvertible {
        var name: String
        var value: Float
        var description: String { "parameter \(name) holds \(value)" }
    }

    /// Writes `folder` (best/ or last/) whole, or leaves it as it was and throws: an error names
    /// the folder, the file and the cause (a full disk, a read-only folder). Parameters that are
    /// not all finite are refused before anything is written, on every rank, so that all stop alike.
    func write(to folder: URL, model: TaskModel, descriptor: HeadDescriptor, optimizer: AdamW?, state: TrainerState?) throws {
        if let bad = Self.firstNonFinite(model.namedParameters) { throw bad }
        guard writes else { return }
        do {
            try AtomicDirectory.write(to: folder) { try fill($0, model: model, descriptor: descriptor, optimizer: optimizer, state: state) }
        } catch {
            throw CLIError("\(folder.path): checkpoint not written (\(folder.lastPathComponent)/ is left as it was): \(error)")
        }
    }

    private func fill(_ directory: URL, model: TaskModel, descriptor: HeadDescriptor, optimizer: AdamW?, state: TrainerState?) throws {
        try model.save(to: directory)
        TestFaults.pauseInsideWrite()
        // tokenizer.json too: a folder transformers 5 wrote has no vocab.txt
        for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            let source = sourceModel.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: source.path) {
                let destination = directory.appendingPathComponent(name)
                do {
                    try FileManager.default.copyItem(at: source, to: destination)
                } catch {
                    throw OutputError.systemCall(call: "copy from \(source.path)", path: destination.path, reason: FileSync.reason(of: error))
                }
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
            try FileSync.createFolder(stateDirectory)
            let moments = optimizer.state()
            try SafeTensors.write(moments.moments, metadata: nil, to: stateDirectory.appendingPathComponent("optimizer.safetensors"))
            try JSONFile.write(state, to: stateDirectory.appendingPathComponent("state.json"))
        }
    }

    /// The first parameter holding a NaN or an infinity, if any.
    static func firstNonFinite(_ parameters: [(name: String, tensor: Tensor)]) -> NonFiniteParameter? {
        for (name, tensor) in parameters {
            let values = UnsafeBufferPointer(start: tensor.data, count: tensor.count)
            if let value = values.first(where: { !$0.isFinite }) { return NonFiniteParameter(name: name, value: value) }
        }
        return nil
    }

    /// Tidies what a killed write of last/ or best/ left (`AtomicDirectory.recover`), so that
    /// both are whole before a resumed run reads either.
    func recoverInterruptedWrites() throws {
        try AtomicDirectory.recover(final: last)
        try AtomicDirectory.recover(final: best)
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
