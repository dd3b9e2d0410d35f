import Foundation
import XCTest

/// `bertkit run` and `bertkit predict` on a synthetic CoNLL task the tiny model can learn: words
/// are single letters; an entity of type Z is a z (B-Z) followed by up to two q (I-Z), all else
/// O. (Runs of z alone, where only the position in the run tells B-Z from I-Z, are more than the
/// random-weight tiny model learns in a few seconds: it tags every z B-Z.)
final class NEREndToEndTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-ner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if ProcessInfo.processInfo.environment["KEEP_NER"] == nil { try? FileManager.default.removeItem(at: folder) } else { print("kept", folder.path) } }

    /// Sentences of 3-10 letters, a -DOCSTART- line every 5 sentences, one entity in four words.
    static func conll(sentences: Int, seed: UInt64) -> String {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let letters = Array("abcdefghijklmnoprstuvwxy").map(String.init)
        var text = ""
        for s in 0..<sentences {
            if s % 5 == 0 { text += "-DOCSTART- -X- O\n\n" }
            var words: [(String, String)] = []
            let length = 3 + Int(next() % 8)
            while words.count < length {
                if next() % 4 == 0 {
                    let run = 1 + Int(next() % 3)
                    for r in 0..<run { words.append(r == 0 ? ("z", "B-Z") : ("q", "I-Z")) }
                }
                words.append((letters[Int(next() % UInt64(letters.count))], "O"))
            }
            text += words.map { "\($0.0) x \($0.1)\n" }.joined() + "\n"
        }
        return text
    }

    struct Metrics: Decodable {
        var outcome: String
        var final: [String: [String: Double]]
    }

    struct PredictionLine: Decodable {
        struct Entity: Decodable { var type: String; var text: String; var start: Int; var end: Int; var score: Double }
        var entities: [Entity]
    }

    func testLearnsTheZEntitiesAndWritesEveryOutput() throws {
        try Data(Self.conll(sentences: 320, seed: 1).utf8).write(to: folder.appendingPathComponent("train.txt"))
        try Data(Self.conll(sentences: 60, seed: 2).utf8).write(to: folder.appendingPathComponent("dev.txt"))
        let yaml = """
            model: \(BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path)
            output: runs
            defaults: {epochs: 8, batch_size: 16, learning_rate: 3e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 32, seed: 7, logging_steps: 5}
            tasks:
              - name: zeds
                head: token-classification
                data: {format: conll, train: train.txt, eval: dev.txt, test: dev.txt, token_column: 0, tag_column: -1, scheme: iob2}
                metrics: [seqeval, seqeval_strict]
            """
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
        let validated = try BertKitProcess.run(["validate", taskFile.path])
        XCTAssertEqual(validated.status, 0, validated.stderr)

        let result = try BertKitProcess.run(["run", taskFile.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let task = folder.appendingPathComponent("runs/zeds")
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
        XCTAssertEqual(metrics.outcome, "finished")
        let f1 = try XCTUnwrap(metrics.final["eval"]?["f1"])
        XCTAssertGreaterThan(f1, 0.5)
        for key in ["precision", "recall", "accuracy", "strict_f1", "strict_precision", "strict_recall"] {
            XCTAssertNotNil(metrics.final["eval"]?[key], key)
        }
        for file in ["predictions.jsonl", "predictions.conll", "predictions-test.jsonl", "test-predictions.conll", "summary.md",
                     "best/model.safetensors", "best/bertkit.json", "last/model.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: task.appendingPathComponent(file).path), file)
        }

        // The CoNLL predictions repeat every word of dev.txt with its gold tag, in order, and keep
        // the -DOCSTART- lines and sentence breaks.
        let dev = try String(contentsOf: folder.appendingPathComponent("dev.txt"), encoding: .utf8)
        let written = try String(contentsOf: task.appendingPathComponent("predictions.conll"), encoding: .utf8)
        let devLines = dev.split(separator: "\n", omittingEmptySubsequences: false)
        let writtenLines = written.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(writtenLines.count, devLines.count)
        for (d, w) in zip(devLines, writtenLines) {
            let dc = d.split(separator: " "), wc = w.split(separator: " ")
            if dc.isEmpty { XCTAssertTrue(wc.isEmpty); continue }
            XCTAssertEqual(wc.count, 3)
            XCTAssertEqual(wc.first, dc.first)
            if dc.first != "-DOCSTART-" { XCTAssertEqual(wc[1], dc[2]) }
        }
        let jsonl = try String(contentsOf: task.appendingPathComponent("predictions.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(jsonl.count, 60)

        // predict on raw text: entity offsets slice the input to the entity's text
        let input = "a b z q c\nzz é z, q z\n"
        let predicted = try BertKitProcess.run(["predict", "--model", task.appendingPathComponent("best").path],
                                               input: input.split(separator: "\n").map { "{\"text\": \"\($0)\"}\n" }.joined())
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        let lines = try predicted.stdout.split(separator: "\n").map { try JSONDecoder().decode(PredictionLine.self, from: Data($0.utf8)) }
        XCTAssertEqual(lines.count, 2)
        for (line, text) in zip(lines, input.split(separator: "\n")) {
            let scalars = Array(String(text).unicodeScalars)
            for entity in line.entities {
                XCTAssertEqual(entity.type, "Z")
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[entity.start..<entity.end])
                XCTAssertEqual(String(view), entity.text)
                XCTAssertTrue(entity.score > 0 && entity.score <= 1)
            }
        }
        XCTAssertEqual(lines[0].entities.map(\.text), ["z q"], "the learnt model finds the entity")
    }
}
