import Foundation
import XCTest

/// The CRF head as a plugin: the synthetic CoNLL task of NEREndToEndTests, switched to the CRF
/// by its `head:` line only, run and predicted through the `bertkit` executable (which
/// registers HeadsCRF in its main.swift).
final class NERCRFEndToEndTests: XCTestCase {
    func testTheCRFHeadTrainsSavesAndPredictsValidIOB2() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-crf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(NEREndToEndTests.conll(sentences: 320, seed: 1).utf8).write(to: folder.appendingPathComponent("train.txt"))
        try Data(NEREndToEndTests.conll(sentences: 60, seed: 2).utf8).write(to: folder.appendingPathComponent("dev.txt"))
        let yaml = """
            model: \(BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path)
            output: runs
            defaults: {epochs: 8, batch_size: 16, learning_rate: 3e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 32, seed: 7, logging_steps: 5}
            tasks:
              - name: zeds
                head: token-classification-crf
                data: {format: conll, train: train.txt, eval: dev.txt, token_column: 0, tag_column: -1, scheme: iob2}
                metrics: [seqeval, seqeval_strict]
            """
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
        let result = try BertKitProcess.run(["run", taskFile.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let task = folder.appendingPathComponent("runs/zeds")
        let metrics = try JSONDecoder().decode(NEREndToEndTests.Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
        XCTAssertGreaterThan(try XCTUnwrap(metrics.final["eval"]?["f1"]), 0.5)
        // Viterbi under the IOB2 constraint: strict and default seqeval read the same entities
        XCTAssertEqual(metrics.final["eval"]?["strict_f1"], metrics.final["eval"]?["f1"])
        let config = try String(contentsOf: task.appendingPathComponent("best/config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("BertForTokenClassificationCRF"), config)

        let predicted = try BertKitProcess.run(["predict", "--model", task.appendingPathComponent("best").path],
                                               input: "{\"text\": \"a b z q c\"}\n{\"text\": \"q q z\"}\n")
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        struct Line: Decodable { var tags: [String] }
        let lines = try predicted.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        XCTAssertEqual(lines.map(\.tags.count), [5, 3])
        for line in lines {
            var previous = "O"
            for tag in line.tags {
                if tag == "I-Z" { XCTAssertTrue(previous == "B-Z" || previous == "I-Z", "\(line.tags)") }
                previous = tag
            }
        }
        XCTAssertEqual(lines[0].tags, ["O", "O", "B-Z", "I-Z", "O"], "the learnt model finds the entity")
    }
}
