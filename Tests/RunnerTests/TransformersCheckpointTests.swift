import Backbone
import Foundation
import Heads
import Runner
import Tasks
import XCTest

/// Checkpoint folders transformers wrote (Tests/Fixtures/hf-checkpoints, made by its generate.py
/// from tiny-bert with save_pretrained), loaded without bertkit.json through
/// `ServableModel.load`: the head from config.json's architectures, the labels from id2label,
/// the tokenizer's ids equal to transformers', the logits within 1e-4 of transformers' and
/// BertKit's decoding equal to the decoding of transformers' logits.
final class TransformersCheckpointTests: XCTestCase {
    static let checkpoints = BertKitProcess.fixtures.appendingPathComponent("hf-checkpoints")
    static let tolerance: Float = 1e-4

    override func setUp() { BuiltIns.register() }

    static func reference<T: Decodable>(_ head: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: checkpoints.appendingPathComponent("\(head).reference.json")))
    }

    static func load(_ head: String, maxSeqLength: Int? = nil) throws -> ServableModel {
        try ServableModel.load(checkpoints.appendingPathComponent(head), maxSeqLength: maxSeqLength, warn: { _ in })
    }

    static func line(_ text: String) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
    }

    // MARK: - Sequence classification

    struct ClassificationReference: Decodable {
        struct Example: Decodable {
            var input: JSONValue
            var ids: [Int32]
            var type_ids: [Int32]
            var logits: [Float]
            var label: String
            var score: Double
        }
        var labels: [String]
        var examples: [Example]
    }

    func testSequenceClassification() throws {
        let reference = try Self.reference("sequence-classification", as: ClassificationReference.self)
        let servable = try Self.load("sequence-classification")
        XCTAssertEqual(servable.source, .transformersConfig)
        XCTAssertEqual(servable.head, "sequence-classification")
        XCTAssertEqual(servable.architecture, "BertForSequenceClassification")
        XCTAssertEqual(servable.labels, reference.labels)
        XCTAssertFalse(reference.labels.contains { $0.hasPrefix("LABEL_") })
        XCTAssertEqual(servable.maxSeqLength, 64, "max_position_embeddings")
        XCTAssertEqual(servable.spec.headConfig["pooling"], .string("pooler"), "the tanh pooler, as transformers")
        let inputs = reference.examples.map(\.input)
        let features = try servable.features(for: inputs)
        XCTAssertEqual(features.count, reference.examples.count)
        XCTAssertEqual(reference.examples.last?.ids.count, 64, "the fixture has a text truncated to the limit")
        let outputs = try servable.run(features, batchSize: 2)
        var labelsSeen = Set<String>()
        for (i, example) in reference.examples.enumerated() {
            XCTAssertEqual(features[i].inputIDs, example.ids, "example \(i) ids")
            XCTAssertEqual(features[i].tokenTypeIDs, example.type_ids, "example \(i) type ids")
            XCTAssertLessThanOrEqual(maxDifference(outputs[i].values["logits"] ?? [], example.logits), Self.tolerance, "example \(i) logits")
            labelsSeen.insert(example.label)
        }
        XCTAssertGreaterThan(labelsSeen.count, 1, "the fixture's texts get different labels")
        let described = try servable.describe(inputs, outputs: outputs).map(Self.line)
        let fromReference = try servable.describe(inputs, outputs: reference.examples.map { FeatureOutput(values: ["logits": $0.logits]) }).map(Self.line)
        for (i, example) in reference.examples.enumerated() {
            XCTAssertEqual(described[i]["label"], .string(example.label), "example \(i)")
            guard case .number(let score)? = described[i]["score"] else { return XCTFail("no score") }
            XCTAssertEqual(score, example.score, accuracy: 1e-4)
            XCTAssertEqual(described[i]["label"], fromReference[i]["label"])
        }
    }

    // MARK: - Token classification (tokenizer.json only)

    struct TokenClassificationReference: Decodable {
        struct Window: Decodable { var ids: [Int32]; var logits: [Float] }
        struct Example: Decodable {
            var input: JSONValue
            var windows: [Window]
            var words: [String]
            var spans: [[Int]]
            var tags: [String]
            var scores: [Double]
        }
        struct Embedding: Decodable { var text: String; var embedding: [Float] }
        var labels: [String]
        var examples: [Example]
        var embeddings: [Embedding]
    }

    func testTokenClassificationFromATokenizerJSONOnlyFolder() throws {
        let folder = Self.checkpoints.appendingPathComponent("token-classification")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path))
        let reference = try Self.reference("token-classification", as: TokenClassificationReference.self)
        let servable = try Self.load("token-classification")
        XCTAssertEqual(servable.head, "token-classification")
        XCTAssertEqual(servable.labels, reference.labels)
        XCTAssertNotEqual(reference.labels.first, "O", "id2label's order is kept, whatever it is")
        XCTAssertTrue(reference.examples.contains { $0.windows.count > 1 }, "the fixture has a text longer than one window")
        var tagsSeen = Set<String>()
        for (i, example) in reference.examples.enumerated() {
            let features = try servable.features(for: [example.input])
            XCTAssertEqual(features.map(\.inputIDs), example.windows.map(\.ids), "example \(i): the windows' ids")
            let outputs = try servable.run(features, batchSize: 8)
            for (w, window) in example.windows.enumerated() where w < outputs.count {
                XCTAssertLessThanOrEqual(maxDifference(outputs[w].values["logits"] ?? [], window.logits), Self.tolerance, "example \(i) window \(w)")
            }
            let described = try Self.line(try servable.describe([example.input], outputs: outputs)[0])
            XCTAssertEqual(described["words"], .array(example.words.map(JSONValue.string)), "example \(i) words")
            XCTAssertEqual(described["tags"], .array(example.tags.map(JSONValue.string)), "example \(i) tags")
            let fromReference = try Self.line(try servable.describe([example.input],
                                                                    outputs: example.windows.map { FeatureOutput(values: ["logits": $0.logits]) })[0])
            XCTAssertEqual(described["entities"].map(Self.withoutScores), fromReference["entities"].map(Self.withoutScores), "example \(i) entities")
            tagsSeen.formUnion(example.tags)
        }
        XCTAssertGreaterThan(tagsSeen.count, 2, "the fixture's words get several tags")
    }

    /// Entities with their scores left out (scores differ in the last digits).
    static func withoutScores(_ entities: JSONValue) -> JSONValue {
        guard case .array(let list) = entities else { return entities }
        return .array(list.map { entity in
            guard case .object(var members) = entity else { return entity }
            members["score"] = nil
            return .object(members)
        })
    }

    // MARK: - Question answering

    struct QuestionAnsweringReference: Decodable {
        struct Window: Decodable { var ids: [Int32]; var type_ids: [Int32]; var start_logits: [Float]; var end_logits: [Float] }
        struct Example: Decodable {
            var input: JSONValue
            var windows: [Window]
            var answer: String
            var start: Int
            var end: Int
            var score: Double
        }
        var examples: [Example]
    }

    func testQuestionAnsweringWithTransformersDefaults() throws {
        let reference = try Self.reference("question-answering", as: QuestionAnsweringReference.self)
        let servable = try Self.load("question-answering")
        XCTAssertEqual(servable.head, "span-extraction")
        XCTAssertEqual(servable.labels, [])
        // 384 / 128 / 30 / 20, capped by max_position_embeddings 64 (and the stride by half a window)
        XCTAssertEqual(servable.maxSeqLength, 64)
        XCTAssertEqual(servable.docStride, 32)
        XCTAssertEqual(servable.maxAnswerLength, 30)
        XCTAssertEqual(servable.nBestSize, 20)
        XCTAssertTrue(reference.examples.contains { $0.windows.count > 1 }, "the fixture has a context longer than one window")
        for (i, example) in reference.examples.enumerated() {
            let features = try servable.features(for: [example.input])
            XCTAssertEqual(features.map(\.inputIDs), example.windows.map(\.ids), "example \(i) ids")
            XCTAssertEqual(features.map(\.tokenTypeIDs), example.windows.map(\.type_ids), "example \(i) type ids")
            let outputs = try servable.run(features, batchSize: 8)
            for (w, window) in example.windows.enumerated() where w < outputs.count {
                XCTAssertLessThanOrEqual(maxDifference(outputs[w].values["start_logits"] ?? [], window.start_logits), Self.tolerance)
                XCTAssertLessThanOrEqual(maxDifference(outputs[w].values["end_logits"] ?? [], window.end_logits), Self.tolerance)
            }
            let described = try Self.line(try servable.describe([example.input], outputs: outputs)[0])
            XCTAssertEqual(described["answer"], .string(example.answer), "example \(i)")
            XCTAssertEqual(described["start"], .number(Double(example.start)), "example \(i)")
            XCTAssertEqual(described["end"], .number(Double(example.end)), "example \(i)")
            guard case .number(let score)? = described["score"] else { return XCTFail("no score") }
            XCTAssertEqual(score, example.score, accuracy: 1e-4, "example \(i)")
        }
    }

    func testMaxSeqLengthOverridesTheLimit() throws {
        let reference = try Self.reference("token-classification", as: TokenClassificationReference.self)
        let servable = try Self.load("token-classification", maxSeqLength: 16)
        XCTAssertEqual(servable.maxSeqLength, 16)
        XCTAssertEqual(reference.examples[1].windows.map(\.ids.count), [15], "one window at the checkpoint's limit")
        let features = try servable.features(for: [reference.examples[1].input])
        XCTAssertEqual(features.count, 1)
        let long = try servable.features(for: [reference.examples[3].input])
        XCTAssertGreaterThan(long.count, 2 * reference.examples[3].windows.count, "windows of 16 tokens instead of 64")
        XCTAssertTrue(long.allSatisfy { $0.length <= 16 })
        XCTAssertEqual(try Self.load("question-answering", maxSeqLength: 48).docStride, 24)
        XCTAssertThrowsError(try Self.load("sequence-classification", maxSeqLength: 65)) { error in
            XCTAssertTrue("\(error)".contains("max_position_embeddings is 64"), "\(error)")
        }
    }

    /// A head registered by a plugin is found by its own architecture, as the built-in ones.
    func testAPluginHeadIsFoundByItsArchitecture() throws {
        HeadRegistry.register(HeadDescriptor(name: "test-tagger", architecture: "BertForTestTagging", taskKind: "token-classification",
                                             summary: "a plugin's tagger, for this test") { context in
            TokenClassificationHead(hiddenSize: context.config.hiddenSize, labels: context.labels.count, dropout: 0)
        })
        let folder = try copy("token-classification")
        try editConfig(folder) { $0["architectures"] = .array([.string("BertForTestTagging")]) }
        let servable = try ServableModel.load(folder, warn: { _ in })
        XCTAssertEqual(servable.head, "test-tagger")
        let reference = try Self.reference("token-classification", as: TokenClassificationReference.self)
        XCTAssertEqual(servable.labels, reference.labels)
        let example = reference.examples[1]
        let outputs = try servable.run(try servable.features(for: [example.input]), batchSize: 1)
        XCTAssertLessThanOrEqual(maxDifference(outputs[0].values["logits"] ?? [], example.windows[0].logits), Self.tolerance)
    }

    // MARK: - Refusals

    /// A copy of a fixture folder to spoil.
    func copy(_ head: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-hf-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.checkpoints.appendingPathComponent(head), to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func editConfig(_ folder: URL, _ edit: (inout [String: JSONValue]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var config = try JSONDecoder().decode([String: JSONValue].self, from: Data(contentsOf: url))
        edit(&config)
        try JSONEncoder().encode(config).write(to: url)
    }

    func loadError(_ folder: URL) -> String {
        do {
            _ = try ServableModel.load(folder, warn: { _ in })
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    func testPickledWeightsAreRefusedWithTheWayToSafetensors() throws {
        let folder = try copy("sequence-classification")
        try FileManager.default.moveItem(at: folder.appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("pytorch_model.bin"))
        let message = loadError(folder)
        XCTAssertTrue(message.contains("model.safetensors"), message)
        XCTAssertTrue(message.contains("pytorch_model.bin, a pickle"), message)
        XCTAssertTrue(message.contains("save_pretrained(dir, safe_serialization=True)"), message)
    }

    func testAnArchitectureWithoutAHeadIsRefusedByName() throws {
        let folder = try copy("sequence-classification")
        try editConfig(folder) { $0["architectures"] = .array([.string("BertForNextSentencePrediction")]) }
        let message = loadError(folder)
        XCTAssertTrue(message.contains("architecture `BertForNextSentencePrediction` has no head in BertKit"), message)
        for known in ["BertForMaskedLM (masked-lm)", "BertForQuestionAnswering (span-extraction)",
                      "BertForSequenceClassification (sequence-classification)", "BertForTokenClassification (token-classification)"] {
            XCTAssertTrue(message.contains(known), message)
        }
        try editConfig(folder) { $0["architectures"] = .array([.string("BertModel")]) }
        XCTAssertTrue(loadError(folder).contains("BertModel is a backbone without a head: `bertkit embed` reads it"), loadError(folder))
        try editConfig(folder) { $0["architectures"] = nil }
        let missing = loadError(folder)
        XCTAssertTrue(missing.contains("config.json: key `architectures` is missing"), missing)
        XCTAssertTrue(missing.contains("BertForTokenClassification (token-classification)"), missing)
    }

    func testLabelsWithoutId2labelAndGappedIndices() throws {
        let folder = try copy("sequence-classification")
        try editConfig(folder) { $0["id2label"] = .object(["0": .string("a"), "2": .string("c"), "1": .string("b")]) }
        XCTAssertEqual(try ServableModel.load(folder, warn: { _ in }).labels, ["a", "b", "c"])
        try editConfig(folder) { $0["id2label"] = .object(["0": .string("a"), "2": .string("c"), "3": .string("d")]) }
        XCTAssertTrue(loadError(folder).contains("key `id2label`: the indices must be 0..<3, found 0, 2, 3"), loadError(folder))
        try editConfig(folder) { $0["id2label"] = nil; $0["num_labels"] = .number(3) }
        XCTAssertEqual(try ServableModel.load(folder, warn: { _ in }).labels, ["LABEL_0", "LABEL_1", "LABEL_2"])
    }

    func testAnUnsupportedTokenizerJSONIsRefusedByName() throws {
        let folder = try copy("token-classification")
        let url = folder.appendingPathComponent("tokenizer.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFD"], ["type": "StripAccents"]]]
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let message = loadError(folder)
        XCTAssertTrue(message.hasPrefix(url.path + ": normalizer.normalizers is [{\"type\":\"NFD\"},{\"type\":\"StripAccents\"}]"), message)
        XCTAssertTrue(message.contains("BertNormalizer"), message)
        var model = json["model"] as! [String: Any]
        model["type"] = "Unigram"
        json["model"] = model
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        XCTAssertTrue(loadError(folder).contains("model.type is \"Unigram\"; BertKit supports \"WordPiece\""), loadError(folder))
    }
}

private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
