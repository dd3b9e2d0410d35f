import Backbone
import Foundation
import Runner
@testable import Serving
import XCTest

/// `bertkit serve` on checkpoint folders transformers wrote (Tests/Fixtures/hf-checkpoints, made
/// by its generate.py with save_pretrained; the token-classification one has tokenizer.json
/// only): served without bertkit.json, each answer is transformers' decision (its label and
/// score, its tags, its answer span), read from the fixture's reference files.
final class ServingTransformersCheckpointTests: XCTestCase {
    static let checkpoints = ServingFixtures.testsDirectory.appendingPathComponent("Fixtures/hf-checkpoints")

    static func reference(_ head: String) throws -> JSONValue {
        _ = ServingFixtures.registered
        return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: checkpoints.appendingPathComponent("\(head).reference.json")))
    }

    /// Serves `head`'s folder and posts every reference example's input in one request.
    func served(_ head: String) async throws -> (examples: [JSONValue], answers: [JSONValue]) {
        let examples = try Self.reference(head)["examples"]?.array ?? []
        XCTAssertFalse(examples.isEmpty)
        let folder = Self.checkpoints.appendingPathComponent(head)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("bertkit.json").path))
        let live = try await LiveServer.start(folder)
        let body = ServingFixtures.json(.object(["inputs": .array(examples.map { $0["input"]! })]))
        let reply = try await live.client.post("/v1/predict", json: body)
        let model = try ServingFixtures.parse(try await live.client.get("/v1/model").text)
        try await live.stop()
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(model["architecture"]?.string, Self.architectures[head])
        return (examples, try ServingFixtures.parse(reply.text)["predictions"]?.array ?? [])
    }

    static let architectures = ["sequence-classification": "BertForSequenceClassification",
                                "token-classification": "BertForTokenClassification",
                                "question-answering": "BertForQuestionAnswering"]

    func testSequenceClassificationFolder() async throws {
        let (examples, answers) = try await served("sequence-classification")
        XCTAssertEqual(answers.count, examples.count)
        for (i, (example, answer)) in zip(examples, answers).enumerated() {
            XCTAssertEqual(answer["label"], example["label"], "example \(i)")
            XCTAssertEqual(answer["score"]?.number ?? -1, example["score"]?.number ?? -2, accuracy: 1e-4, "example \(i)")
        }
    }

    func testTokenClassificationFolderWithTokenizerJSONOnly() async throws {
        let (examples, answers) = try await served("token-classification")
        XCTAssertEqual(answers.count, examples.count)
        for (i, (example, answer)) in zip(examples, answers).enumerated() {
            XCTAssertEqual(answer["words"], example["words"], "example \(i)")
            XCTAssertEqual(answer["tags"], example["tags"], "example \(i)")
        }
    }

    func testQuestionAnsweringFolder() async throws {
        let (examples, answers) = try await served("question-answering")
        XCTAssertEqual(answers.count, examples.count)
        for (i, (example, answer)) in zip(examples, answers).enumerated() {
            XCTAssertEqual(answer["answer"], example["answer"], "example \(i)")
            XCTAssertEqual(answer["start"], example["start"], "example \(i)")
            XCTAssertEqual(answer["end"], example["end"], "example \(i)")
            XCTAssertEqual(answer["score"]?.number ?? -1, example["score"]?.number ?? -2, accuracy: 1e-4, "example \(i)")
        }
    }
}
