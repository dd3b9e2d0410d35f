import Foundation
import XCTest

/// `class_weights` through `bertkit run` on the tiny fixture model: the weights reach the loss
/// (training and evaluation), `balanced` counts the training targets, and metrics.json and the
/// log say which weights were used.
final class ClassWeightsRunTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    struct Metrics: Decodable {
        var final: [String: [String: Double]]
        var class_weights: [String: Double]?
    }

    struct Prediction: Decodable {
        var gold: String
        var probabilities: [String: Double]
    }

    struct LogLine: Decodable { var step: Int; var loss: Double }

    func metrics(_ run: URL, task: String) throws -> Metrics {
        try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: run.appendingPathComponent("runs/\(task)/metrics.json")))
    }

    /// The synthetic task in `folder`, with `lines` added to its task entry.
    func syntheticTask(in folder: URL, trainCount: Int = 64, adding lines: String = "") throws -> URL {
        let url = try SyntheticTask.write(to: folder, trainCount: trainCount, devCount: 24)
        let yaml = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(yaml.contains("    metrics: [accuracy, f1]\n"))
        try Data(yaml.replacingOccurrences(of: "    metrics: [accuracy, f1]\n", with: "    metrics: [accuracy, f1]\n" + lines).utf8).write(to: url)
        return url
    }

    /// With `class_weights: [1, 3]` the evaluation loss is Σ w[gold]·(-log p[gold]) / Σ w[gold]
    /// over the eval examples (one batch), computed here from predictions.jsonl's probabilities;
    /// the first training step's loss differs from that of the same run without weights.
    func testExplicitWeightsWeighTheLoss() throws {
        let settings = ["--set", "epochs=2", "--set", "eval_batch_size=64", "--set", "logging_steps=1"]
        let weightedRun = folder.appendingPathComponent("weighted")
        let weighted = try BertKitProcess.run(["run", try syntheticTask(in: weightedRun, adding: "    class_weights: [1, 3]\n").path] + settings)
        XCTAssertEqual(weighted.status, 0, weighted.stderr)
        XCTAssertEqual(weighted.stderr.components(separatedBy: "[has-z] class weights: no 1, yes 3\n").count, 2,
                       "the log names the weights once:\n\(weighted.stderr)")
        let result = try metrics(weightedRun, task: "has-z")
        XCTAssertEqual(result.class_weights, ["no": 1, "yes": 3])

        let predictions = try String(contentsOf: weightedRun.appendingPathComponent("runs/has-z/predictions.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(Prediction.self, from: Data($0.utf8)) }
        XCTAssertEqual(predictions.count, 24)
        let weights = ["no": 1.0, "yes": 3.0]
        func loss(weighing weight: (String) -> Double) -> Double {
            let terms = predictions.map { (weight($0.gold), -log($0.probabilities[$0.gold]!)) }
            return terms.map { $0.0 * $0.1 }.reduce(0, +) / terms.map(\.0).reduce(0, +)
        }
        let expected = loss { weights[$0]! }, unweighted = loss { _ in 1 }
        XCTAssertGreaterThan(abs(expected - unweighted), 1e-3, "the eval examples tell the two losses apart")
        XCTAssertEqual(try XCTUnwrap(result.final["eval"]?["loss"]), expected, accuracy: 1e-5)

        let plainRun = folder.appendingPathComponent("plain")
        let plain = try BertKitProcess.run(["run", try syntheticTask(in: plainRun).path, "--set", "max_steps=1"] + settings)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stderr.contains("class weights"))
        XCTAssertNil(try metrics(plainRun, task: "has-z").class_weights)
        func firstLoss(_ run: URL) throws -> Double {
            let line = try String(contentsOf: run.appendingPathComponent("runs/has-z/train_log.jsonl"), encoding: .utf8).split(separator: "\n")[0]
            let entry = try JSONDecoder().decode(LogLine.self, from: Data(line.utf8))
            XCTAssertEqual(entry.step, 1)
            return entry.loss
        }
        // the same first batch, dropout and weights: only the class weights differ
        XCTAssertNotEqual(try firstLoss(weightedRun), try firstLoss(plainRun))
    }

    /// 24 `no` and 8 `yes` training examples, and a declared label `maybe` that none has:
    /// n / (k · count) with n = 32, k = 2 is 32 / 48 for `no` and 32 / 16 for `yes`; `maybe` gets 0.
    func testBalancedWeightsCountTheTrainingExamples() throws {
        let taskFile = try syntheticTask(in: folder, trainCount: 32, adding: "    class_weights: balanced\n")
        let rows = SyntheticTask.rows(count: 48, seed: 1)
        let kept = rows.filter { $0.label == "no" }.prefix(24) + rows.filter { $0.label == "yes" }.prefix(8)
        XCTAssertEqual(kept.count, 32)
        try Data(("sentence\tlabel\n" + kept.map { "\($0.text)\t\($0.label)\n" }.joined()).utf8)
            .write(to: folder.appendingPathComponent("train.tsv"))
        let yaml = try String(contentsOf: taskFile, encoding: .utf8)
        try Data(yaml.replacingOccurrences(of: "label: label}", with: "label: label, labels: [maybe, no, yes]}").utf8).write(to: taskFile)

        let result = try BertKitProcess.run(["run", taskFile.path, "--set", "max_steps=1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("[has-z] class weights (balanced): maybe 0 (not in the training data), no 0.6667, yes 2\n"),
                      result.stderr)
        let weights = try XCTUnwrap(try metrics(folder, task: "has-z").class_weights)
        XCTAssertEqual(Set(weights.keys), ["maybe", "no", "yes"])
        XCTAssertEqual(weights["maybe"], 0)
        XCTAssertEqual(try XCTUnwrap(weights["no"]), 32.0 / 48, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(weights["yes"]), 32.0 / 16, accuracy: 1e-6)
    }

    /// Token classification counts the labelled words (each a single token of the tiny model's
    /// vocabulary, one window per sentence), not [CLS], [SEP] or -DOCSTART- lines: the counts are
    /// taken here from the tags of the CoNLL file itself.
    func testBalancedWeightsCountTheLabelledTokens() throws {
        let train = NEREndToEndTests.conll(sentences: 40, seed: 1)
        try Data(train.utf8).write(to: folder.appendingPathComponent("train.txt"))
        var counts: [String: Int] = [:]
        for line in train.split(separator: "\n") where !line.hasPrefix("-DOCSTART-") {
            counts[String(line.split(separator: " ").last!), default: 0] += 1
        }
        XCTAssertEqual(Set(counts.keys), ["O", "B-Z", "I-Z"])
        let n = Double(counts.values.reduce(0, +))
        let yaml = """
            model: \(BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path)
            output: runs
            tasks:
              - name: zeds
                head: token-classification
                data: {format: conll, train: train.txt, tag_column: -1}
                class_weights: balanced
                max_steps: 1
                batch_size: 8
                max_seq_length: 32
            """
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
        let result = try BertKitProcess.run(["run", taskFile.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let weights = try XCTUnwrap(try metrics(folder, task: "zeds").class_weights)
        XCTAssertEqual(Set(weights.keys), ["O", "B-Z", "I-Z"])
        for (tag, count) in counts {
            XCTAssertEqual(try XCTUnwrap(weights[tag]), n / (3 * Double(count)), accuracy: 1e-5, tag)
        }
        XCTAssertTrue(result.stderr.contains("[zeds] class weights (balanced): O "), result.stderr)
    }
}
