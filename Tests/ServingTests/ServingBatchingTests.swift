import Backbone
import Foundation
import Runner
@testable import Serving
import Tensor
import XCTest

/// Dynamic batching: 64 requests at once share forward passes, and each gets the answer its
/// inputs get alone (`bertkit predict`'s path, one input per batch): the same labels, entities
/// and answers, every probability within 1e-5.
final class ServingBatchingTests: XCTestCase {
    func testConcurrentClassificationRequestsAnswerAsAlone() async throws {
        try await checkConcurrentRequests(.classification)
    }

    func testConcurrentTokenClassificationRequestsAnswerAsAlone() async throws {
        try await checkConcurrentRequests(.tokenClassification)
    }

    func testConcurrentQuestionAnsweringRequestsAnswerAsAlone() async throws {
        try await checkConcurrentRequests(.questionAnswering)
    }

    /// bf16 (`--precision bf16`): the weights packed once into oneDNN's layout serve passes of
    /// every size, and a sequence's answer is still the one it gets alone in bf16 (`predict
    /// --precision bf16`'s path). oneDNN computes bf16 products where the CPU has bf16 units
    /// or AVX-512 (emulated without the units); elsewhere this skips.
    func testConcurrentRequestsAnswerAsAloneInBF16() async throws {
        if let why = BF16Support.missingBF16Matmul(.current()) { throw XCTSkip(why) }
        _ = try OneDNN.load()
        try await checkConcurrentRequests(.classification, precision: .bf16)
        try await checkConcurrentRequests(.tokenClassification, precision: .bf16)
    }

    private func checkConcurrentRequests(_ kind: ServingFixtures.Kind, precision: Precision = .fp32) async throws {
        let folder = try ServingFixtures.checkpoint(kind)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        // small batches, so that the requests also spread over several passes
        let live = try await LiveServer.start(folder, limits: ServingLimits(maxBatchSize: 16, maxBatchTokens: 16 * 64, maxWaitMilliseconds: 20),
                                              precision: precision)
        let reference = try ServableModel.load(folder, warn: { _ in })

        // every fourth request sends a list of three inputs, the others one input
        let requests: [[JSONValue]] = (0..<64).map { r in r % 4 == 0 ? (0..<3).map { ServingFixtures.input(kind, seed: 100 + r * 3 + $0) } : [ServingFixtures.input(kind, seed: r)] }
        // alone, as `predict` runs them: in the precision, in one scope of weight copies
        let expected = try precision.run {
            try BF16Weights.reusingConversions { try requests.map { try $0.map { try ServingFixtures.answerAlone(reference, $0) } } }
        }

        let client = live.client
        let replies = try await withThrowingTaskGroup(of: (Int, HTTPTestClient.Reply).self) { group in
            for (index, inputs) in requests.enumerated() {
                let body = inputs.count == 1 ? ServingFixtures.json(inputs[0]) : ServingFixtures.json(.object(["inputs": .array(inputs)]))
                group.addTask { (index, try await client.post("/v1/predict", json: body)) }
            }
            var replies = [HTTPTestClient.Reply?](repeating: nil, count: requests.count)
            for try await (index, reply) in group { replies[index] = reply }
            return replies.map { $0! }
        }

        for (index, reply) in replies.enumerated() {
            XCTAssertEqual(reply.status, 200, reply.text)
            let answer = try ServingFixtures.parse(reply.text)
            let answers = requests[index].count == 1 ? [answer] : answer["predictions"]?.array ?? []
            XCTAssertEqual(answers.count, expected[index].count)
            for (served, alone) in zip(answers, expected[index]) {
                ServingFixtures.assertSameAnswer(served, alone, at: "request \(index)")
            }
        }

        // the passes held more than one feature: fewer features ran in a pass of at most one
        // than ran in all
        let metrics = try await live.metrics()
        let features = metrics["bertkit_batch_features_sum"] ?? 0
        let inPassesOfOne = metrics[#"bertkit_batch_features_bucket{le="1.0"}"#] ?? 0
        let passes = metrics["bertkit_batch_features_count"] ?? 0
        XCTAssertGreaterThan(passes, inPassesOfOne, "some forward pass held more than one feature")
        XCTAssertGreaterThan(features, passes)
        XCTAssertEqual(metrics[#"bertkit_requests_total{route="/v1/predict",status="200"}"#], 64)
        try await live.stop()
    }
}
