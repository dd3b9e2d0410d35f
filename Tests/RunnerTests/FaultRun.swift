import Backbone
import Foundation
import Heads
@testable import Runner
import Tensor
import XCTest

/// A small classification task (SyntheticTask's rows) in a folder of its own, for the tests that
/// kill `bertkit run`, give it a NaN loss or a failing disk (issue 25): the task `has-z`, its
/// output in runs/has-z/.
struct FaultRun {
    let folder: URL
    let taskFile: URL
    var task: URL { folder.appendingPathComponent("runs/has-z") }
    var last: URL { task.appendingPathComponent("last") }
    var best: URL { task.appendingPathComponent("best") }

    /// Writes the data, a copy of the tiny fixture model and tasks.yaml with `defaults` (YAML
    /// flow-mapping entries) into `folder`.
    init(in folder: URL, trainCount: Int, devCount: Int, defaults: String) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, count, seed) in [("train.tsv", trainCount, UInt64(1)), ("dev.tsv", devCount, UInt64(2))] {
            let body = "sentence\tlabel\n" + SyntheticTask.rows(count: count, seed: seed).map { "\($0.text)\t\($0.label)\n" }.joined()
            try Data(body.utf8).write(to: folder.appendingPathComponent(name))
        }
        let model = try Self.tinyBertWithoutAccentStripping(in: folder)
        let yaml = """
            model: \(model.path)
            output: runs
            defaults: {\(defaults)}
            tasks:
              - name: has-z
                head: sequence-classification
                head_config: {pooling: mean}
                data: {format: tsv, train: train.tsv, eval: dev.tsv, text: sentence, label: label}
                metrics: [accuracy]
            """
        taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
    }

    /// The tiny fixture model with `strip_accents: false`: a debug build spends about 2 s of each
    /// process building the accent table, and these tests start dozens of processes on text
    /// without accents.
    static func tinyBertWithoutAccentStripping(in folder: URL) throws -> URL {
        let copy = folder.appendingPathComponent("tiny-bert")
        try FileManager.default.copyItem(at: BertKitProcess.fixtures.appendingPathComponent("tiny-bert"), to: copy)
        let configURL = copy.appendingPathComponent("tokenizer_config.json")
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["strip_accents"] = false
        // sorted keys: the tests compare checkpoint folders byte for byte, and each run's copy is
        // written from a dictionary of its own, whose order is not fixed (under AddressSanitizer's
        // allocator two copies came out in different orders)
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: configURL)
        return copy
    }

    /// `bertkit run tasks.yaml arguments...` to its end.
    func run(_ arguments: [String] = [], environment: [String: String]? = nil, launcher: [String] = []) throws -> BertKitProcess.Result {
        try BertKitProcess.run(["run", taskFile.path] + arguments, environment: environment, launcher: launcher)
    }

    /// The hidden entries a checkpoint write leaves beside best/ and last/ while it is under way
    /// (`AtomicDirectory`: `.last.tmp-*`, `.last.old-*`, `.best.tmp-*`, `.best.old-*`).
    func writeLeftovers() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: task.path)) ?? []
        return Set(names.filter { name in
            [".last.", ".best."].contains { name.hasPrefix($0) } && (name.contains(".tmp-") || name.contains(".old-"))
        })
    }

    /// Every file under `folder`, relative path -> bytes.
    static func files(under folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        while let relative = enumerator?.nextObject() as? String {
            let url = folder.appendingPathComponent(relative)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
                files[relative] = try Data(contentsOf: url)
            }
        }
        return files
    }
}

/// Reads a checkpoint as `bertkit run --resume` and `bertkit predict` do, so that a test can say
/// "it loads": bertkit.json, config.json and model.safetensors into the task's model (every
/// tensor present with its shape, none made up), and with `trainerState`, trainer_state/'s
/// state.json and the optimizer moments into an AdamW of that model. Returns the model.
enum CheckpointLoading {
    @discardableResult
    static func load(_ folder: URL, trainerState: Bool) throws -> TaskModel {
        BuiltIns.register()
        let manifest = try JSONDecoder().decode(CheckpointStore.Manifest.self,
                                                from: Data(contentsOf: folder.appendingPathComponent("bertkit.json")))
        let descriptor = try HeadRegistry.descriptor(named: manifest.head)
        var stream = RandomStream(key: 0)
        var warnings: [String] = []
        let model = try TaskModel.load(from: ModelFolder(folder), descriptor: descriptor, labels: manifest.labels,
                                       options: manifest.headConfig, stream: &stream, warn: { warnings.append($0) })
        if !warnings.isEmpty { throw CLIError("\(folder.path): \(warnings.joined(separator: "; "))") }
        if trainerState {
            let stateFolder = folder.appendingPathComponent("trainer_state")
            let state = try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: stateFolder.appendingPathComponent("state.json")))
            let file = try SafeTensorsFile(contentsOf: stateFolder.appendingPathComponent("optimizer.safetensors"))
            let moments = try file.names.map { (name: $0, tensor: try file.tensor(named: $0)) }
            let optimizer = AdamW(parameters: model.namedParameters, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
            try optimizer.load(AdamWState(metadata: state.optimizer, moments: moments))
        }
        return model
    }
}
