import Foundation
import XCTest
import Tensor

/// `bertkit run` of a language-modelling task (head masked-lm) on the masked-LM fixture
/// (Tests/Fixtures/masked-lm/tiny-bert-mlm, a folder transformers 5 saved), through the executable.
final class LanguageModelingEndToEndTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-mlm-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Sentences of a small grammar over words the fixture's vocabulary has: which word comes
    /// where is predictable, so that the tiny model's masked-token loss can fall.
    static func lines(count: Int, seed: UInt64) -> [String] {
        var stream = RandomStream(key: seed)
        let names = ["john", "mary", "anna"], cities = ["paris", "london", "berlin", "rome"]
        let forms = ["%n lives in %c", "%n works in the old bank of %c", "%n was born in %c near the river", "%n met %m in %c"]
        return (0..<count).map { _ in
            let pick = { (list: [String]) in list[stream.nextInt(below: list.count)] }
            return pick(forms).replacingOccurrences(of: "%n", with: pick(names)).replacingOccurrences(of: "%m", with: pick(names))
                .replacingOccurrences(of: "%c", with: pick(cities))
        }
    }

    /// Writes the training and evaluation texts (train.txt and eval.txt, or with `jsonl` train.jsonl
    /// and eval.jsonl) and tasks.yaml into `folder`; returns the task file.
    static func write(to folder: URL, jsonl: Bool = false) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let format = jsonl ? "jsonl" : "text"
        for (name, count, seed) in [("train", 600, UInt64(1)), ("eval", 150, UInt64(2))] {
            let texts = lines(count: count, seed: seed)
            let body = jsonl ? texts.map { "{\"text\": \"\($0)\"}\n" }.joined() : texts.joined(separator: "\n")
            try Data(body.utf8).write(to: folder.appendingPathComponent("\(name).\(jsonl ? "jsonl" : "txt")"))
        }
        let yaml = """
            model: \(BertKitProcess.fixtures.appendingPathComponent("masked-lm/tiny-bert-mlm").path)
            output: runs
            defaults: {epochs: 4, batch_size: 16, learning_rate: 2e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 32, seed: 7, logging_steps: 2}
            tasks:
              - name: mlm
                head: masked-lm
                data: {format: \(format), train: train.\(jsonl ? "jsonl" : "txt"), eval: eval.\(jsonl ? "jsonl" : "txt")}
            """
        let url = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: url)
        return url
    }

    struct Metrics: Decodable {
        var outcome: String
        var final: [String: [String: Double]]
        var history: [History]
        struct History: Decodable { var step: Int; var metrics: [String: Double] }
    }

    struct LogLine: Decodable { var step: Int; var loss: Double }

    func testTrainsTheLossDownAndReportsLossAndPerplexity() throws {
        let taskFile = try Self.write(to: folder)
        let validated = try BertKitProcess.run(["validate", taskFile.path])
        XCTAssertEqual(validated.status, 0, validated.stdout + validated.stderr)
        let result = try BertKitProcess.run(["run", taskFile.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let task = folder.appendingPathComponent("runs/mlm")
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
        XCTAssertEqual(metrics.outcome, "finished")
        let final = try XCTUnwrap(metrics.final["eval"])
        let loss = try XCTUnwrap(final["loss"]), perplexity = try XCTUnwrap(final["perplexity"])
        XCTAssertEqual(perplexity, exp(loss), accuracy: 1e-9 * perplexity)
        XCTAssertNotNil(final["accuracy"])
        XCTAssertEqual(metrics.history.count, 4, "one evaluation per epoch")
        let firstEval = try XCTUnwrap(metrics.history.first?.metrics["loss"])
        XCTAssertLessThan(loss, firstEval * 0.85, "the eval loss falls")

        let log = try String(contentsOf: task.appendingPathComponent("train_log.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(LogLine.self, from: Data($0.utf8)) }
        let firstLosses = log.prefix(3).map(\.loss).reduce(0, +) / 3
        let lastLosses = log.suffix(3).map(\.loss).reduce(0, +) / 3
        XCTAssertLessThan(lastLosses, firstLosses * 0.7, "the training loss falls")
        // the checkpoint: transformers' BertForMaskedLM layout, the tokenizer.json of the source folder
        for file in ["best/model.safetensors", "best/config.json", "best/tokenizer.json", "best/bertkit.json", "last/trainer_state/state.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: task.appendingPathComponent(file).path), file)
        }
        let saved = try SafeTensorsFile(contentsOf: task.appendingPathComponent("best/model.safetensors"))
        XCTAssertTrue(saved.contains("cls.predictions.bias") && saved.contains("bert.embeddings.word_embeddings.weight"))
        XCTAssertFalse(saved.names.contains { $0.contains("decoder") })
    }

    /// Continued pre-training, then fine-tuning from its checkpoint in one file: the second task
    /// starts from the first's last/ (here it barely moves, lr 1e-9, so its weights are the
    /// first's); alone, before the first has run, it says which task writes its model.
    func testASecondTaskFineTunesFromTheFirstsCheckpoint() throws {
        let taskFile = try Self.write(to: folder)
        try SyntheticTask.write(to: folder.appendingPathComponent("classify"))
        let yaml = try String(contentsOf: taskFile, encoding: .utf8) + """

              - name: has-z
                head: sequence-classification
                head_config: {pooling: mean}
                model: {task: mlm, checkpoint: last}
                data: {format: tsv, train: classify/train.tsv, eval: classify/dev.tsv, text: sentence, label: label}
                epochs: 1
                learning_rate: 1e-9
            """
        try Data(yaml.utf8).write(to: taskFile)
        let alone = try BertKitProcess.run(["run", taskFile.path, "--task", "has-z"])
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.stderr.contains("task `has-z`: `model` {task: mlm, checkpoint: last} is "), alone.stderr)
        XCTAssertTrue(alone.stderr.contains("which does not exist: task `mlm` writes it"), alone.stderr)
        let result = try BertKitProcess.run(["run", taskFile.path, "--set", "tasks.mlm.epochs=1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let pretrained = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("runs/mlm/last/model.safetensors"))
        let original = try SafeTensorsFile(contentsOf: BertKitProcess.fixtures.appendingPathComponent("masked-lm/tiny-bert-mlm/model.safetensors"))
        let fineTuned = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("runs/has-z/last/model.safetensors"))
        XCTAssertTrue(fineTuned.contains("classifier.weight"))
        let name = "bert.encoder.layer.1.output.dense.weight"
        let (a, b, c) = (try pretrained.tensor(named: name).values, try original.tensor(named: name).values, try fineTuned.tensor(named: name).values)
        XCTAssertGreaterThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-4, "continued pre-training moved the weights")
        XCTAssertLessThan(zip(a, c).map { abs($0 - $1) }.max()!, 1e-6, "the fine-tuning started from them")
    }

    /// Interrupted in the second epoch and resumed: the same weights, to the bit, as a run never
    /// interrupted (the second epoch's masks come again from the run's streams), with whole-word
    /// masking and one sequence per line of jsonl files.
    func testInterruptedAndResumedRunEqualsAnUninterruptedOne() throws {
        let settings = ["--set", "epochs=2", "--set", "tasks.mlm.data.line_by_line=true", "--set", "whole_word_masking=true"]
        let straight = folder.appendingPathComponent("straight"), resumed = folder.appendingPathComponent("resumed")
        let a = try BertKitProcess.run(["run", try Self.write(to: straight, jsonl: true).path] + settings)
        XCTAssertEqual(a.status, 0, a.stderr)
        let taskFile = try Self.write(to: resumed, jsonl: true)
        // 600 lines, batches of 16: 38 steps per epoch
        let first = try BertKitProcess.run(["run", taskFile.path, "--interrupt-after-steps", "50"] + settings)
        XCTAssertEqual(first.status, 130, first.stderr)
        let second = try BertKitProcess.run(["run", taskFile.path, "--resume"] + settings)
        XCTAssertEqual(second.status, 0, second.stderr)
        let x = try SafeTensorsFile(contentsOf: straight.appendingPathComponent("runs/mlm/last/model.safetensors"))
        let y = try SafeTensorsFile(contentsOf: resumed.appendingPathComponent("runs/mlm/last/model.safetensors"))
        XCTAssertEqual(x.names, y.names)
        for name in x.names {
            XCTAssertEqual(try x.tensor(named: name).values.map(\.bitPattern), try y.tensor(named: name).values.map(\.bitPattern), name)
        }
    }
}
