import Backbone
import Foundation
import Runner
@testable import Serving
import XCTest

/// `bertkit serve` on the masked-LM folder transformers wrote (Tests/Fixtures/masked-lm): the
/// fill-mask pipeline's top 5 tokens per [MASK], in order, their sequences, probabilities within 1e-4.
final class ServingFillMaskTests: XCTestCase {
    static let folder = ServingFixtures.testsDirectory.appendingPathComponent("Fixtures/masked-lm/tiny-bert-mlm")

    func testServesTheFillMaskPipelinesAnswers() async throws {
        _ = ServingFixtures.registered
        let reference = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: Self.folder.deletingLastPathComponent()
            .appendingPathComponent("fill-mask.reference.json")))
        let examples = reference["examples"]?.array ?? []
        XCTAssertEqual(examples.count, 6, "fill-mask.reference.json's texts, two of them holding [PAD]")
        let live = try await LiveServer.start(Self.folder)
        let body = ServingFixtures.json(.object(["inputs": .array(examples.map { $0["input"]! })]))
        let reply = try await live.client.post("/v1/predict", json: body)
        let missing = try await live.client.post("/v1/predict", json: ServingFixtures.json(.object(["inputs": .array([.object(["text": .string("no mask here")])])])))
        let model = try ServingFixtures.parse(try await live.client.get("/v1/model").text)
        try await live.stop()
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(model["architecture"]?.string, "BertForMaskedLM")
        XCTAssertEqual(missing.status / 100, 4, missing.text)
        let answers = try ServingFixtures.parse(reply.text)["predictions"]?.array ?? []
        XCTAssertEqual(answers.count, examples.count)
        for (example, answer) in zip(examples, answers) {
            let expected = example["masks"]?.array ?? [], got = answer["masks"]?.array ?? []
            XCTAssertEqual(got.count, expected.count)
            for (tokens, mask) in zip(expected, got) {
                let want = tokens.array ?? [], have = mask["tokens"]?.array ?? []
                XCTAssertEqual(have.map { $0["token"] }, want.map { $0["token"] }, "\(example["input"]!)")
                XCTAssertEqual(have.map { $0["sequence"] }, want.map { $0["sequence"] }, "\(example["input"]!)")
                for (a, e) in zip(have, want) {
                    XCTAssertEqual(a["score"]?.number ?? -1, e["score"]?.number ?? -2, accuracy: 1e-4)
                }
            }
        }
    }
}
