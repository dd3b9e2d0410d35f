import Foundation
import XCTest

/// The `bertkit` commands on checkpoint folders transformers wrote (Tests/Fixtures/hf-checkpoints):
/// predict, embed, validate and `run --eval-only`, as a user runs them.
final class TransformersCheckpointCommandTests: XCTestCase {
    static let checkpoints = BertKitProcess.fixtures.appendingPathComponent("hf-checkpoints")

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-hfcmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testPredictOnATransformersFolder() throws {
        let reference = try TransformersCheckpointTests.reference("sequence-classification", as: TransformersCheckpointTests.ClassificationReference.self)
        let input = try reference.examples.map { String(decoding: try JSONEncoder().encode($0.input), as: UTF8.self) }.joined(separator: "\n")
        let result = try BertKitProcess.run(["predict", "--model", Self.checkpoints.appendingPathComponent("sequence-classification").path,
                                             "--batch-size", "2"], input: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Line: Decodable { var label: String; var score: Double; var probabilities: [String: Double] }
        let lines = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        XCTAssertEqual(lines.map(\.label), reference.examples.map(\.label))
        for (line, example) in zip(lines, reference.examples) {
            XCTAssertEqual(line.score, example.score, accuracy: 1e-4)
            XCTAssertEqual(Set(line.probabilities.keys), Set(reference.labels))
        }
    }

    func testPredictRefusesAPickleByName() throws {
        let folder = try temporaryFolder()
        try FileManager.default.copyItem(at: Self.checkpoints.appendingPathComponent("sequence-classification/config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        try Data("not a pickle either".utf8).write(to: folder.appendingPathComponent("pytorch_model.bin"))
        let result = try BertKitProcess.run(["predict", "--model", folder.path], input: "{\"text\": \"hi\"}\n")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("pytorch_model.bin, a pickle, which BertKit does not read"), result.stderr)
        XCTAssertTrue(result.stderr.contains("safe_serialization=True"), result.stderr)
    }

    /// tokenizer.json only, no pooler: the mean of the last hidden states, as transformers computes them.
    func testEmbedOnATokenizerJSONOnlyFolder() throws {
        let reference = try TransformersCheckpointTests.reference("token-classification", as: TransformersCheckpointTests.TokenClassificationReference.self)
        let input = reference.embeddings.map(\.text).joined(separator: "\n")
        let result = try BertKitProcess.run(["embed", "--model", Self.checkpoints.appendingPathComponent("token-classification").path], input: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Line: Decodable { var embedding: [Float] }
        let vectors = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)).embedding }
        XCTAssertEqual(vectors.count, reference.embeddings.count)
        for (vector, expected) in zip(vectors, reference.embeddings) {
            XCTAssertEqual(vector.count, 32)
            XCTAssertLessThanOrEqual(zip(vector, expected.embedding).map { abs($0 - $1) }.max() ?? 1, 1e-4, expected.text)
        }
    }

    /// A task file whose model is a transformers BertForTokenClassification folder (tokenizer.json
    /// only): validate accepts it, and `run --eval-only` evaluates with its id2label and its
    /// trained head. The gold tags are the tags transformers' logits give, so every tag matches.
    func testValidateAndEvalOnlyOnATransformersTokenClassifier() throws {
        let reference = try TransformersCheckpointTests.reference("token-classification", as: TransformersCheckpointTests.TokenClassificationReference.self)
        let folder = try temporaryFolder()
        let conll = reference.examples.map { example in
            zip(example.words, example.tags).map { "\($0) \($1)\n" }.joined() + "\n"
        }.joined()
        try Data(conll.utf8).write(to: folder.appendingPathComponent("dev.txt"))
        let yaml = """
            model: \(Self.checkpoints.appendingPathComponent("token-classification").path)
            output: runs
            tasks:
              - name: hf-ner
                head: token-classification
                data: {format: conll, eval: dev.txt, token_column: 0, tag_column: -1}
                max_seq_length: 64
            """
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
        let validated = try BertKitProcess.run(["validate", taskFile.path])
        XCTAssertEqual(validated.status, 0, validated.stderr + validated.stdout)

        let result = try BertKitProcess.run(["run", taskFile.path, "--eval-only"])
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Metrics: Decodable { var final: [String: [String: Double]] }
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: folder.appendingPathComponent("runs/hf-ner/metrics.json")))
        XCTAssertEqual(metrics.final["eval"]?["accuracy"], 1, "every word's tag is transformers' argmax")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/hf-ner/best").path), "nothing trained, nothing saved")
        XCTAssertEqual(reference.examples.reduce(0) { $0 + $1.words.count },
                       try String(contentsOf: folder.appendingPathComponent("runs/hf-ner/predictions.conll"), encoding: .utf8)
                           .split(separator: "\n").count)

        // Fine-tuned further, its checkpoints carry tokenizer.json (the folder has no vocab.txt),
        // and predict reads them back.
        let trained = try BertKitProcess.run(["run", taskFile.path, "--set", "tasks.hf-ner.data.train=dev.txt", "--set", "max_steps=2",
                                              "--set", "batch_size=2", "--set", "output=\(folder.appendingPathComponent("trained").path)"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let last = folder.appendingPathComponent("trained/hf-ner/last")
        XCTAssertTrue(FileManager.default.fileExists(atPath: last.appendingPathComponent("tokenizer.json").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: last.appendingPathComponent("vocab.txt").path))
        let predicted = try BertKitProcess.run(["predict", "--model", last.path], input: "{\"text\": \"Anna met Mary in Berlin.\"}\n")
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        XCTAssertTrue(predicted.stdout.contains("\"words\":[\"Anna\",\"met\",\"Mary\",\"in\",\"Berlin\",\".\"]"), predicted.stdout)
    }
}
