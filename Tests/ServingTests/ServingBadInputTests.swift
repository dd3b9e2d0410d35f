import Backbone
import Foundation
import Runner
@testable import Serving
import XCTest

/// Bad input and overload over HTTP: each gets its status and a JSON error naming the field or
/// the limit, and none of it changes what the server answers afterwards.
final class ServingBadInputTests: XCTestCase {
    func testBadRequestsNameTheFieldOrTheLimit() async throws {
        let folder = try ServingFixtures.checkpoint(.classification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let live = try await LiveServer.start(folder, limits: ServingLimits(maxQueue: 8, maxBodyBytes: 4096, maxInputs: 4))
        let client = live.client

        func expect(_ path: String, _ body: String, status: Int, mentions: String, file: StaticString = #filePath, line: UInt = #line) async throws {
            let reply = try await client.post(path, json: body)
            XCTAssertEqual(reply.status, status, "\(body) -> \(reply.text)", file: file, line: line)
            XCTAssertEqual(reply.headers["content-type"], "application/json", file: file, line: line)
            let error = try ServingFixtures.parse(reply.text)["error"]?.string ?? ""
            XCTAssertTrue(error.contains(mentions), "\(body) -> \(error), expected it to mention \(mentions)", file: file, line: line)
        }

        // not JSON, or not an object
        try await expect("/v1/predict", #"{"text": "the"#, status: 400, mentions: "body: not valid JSON")
        try await expect("/v1/predict", "hello", status: 400, mentions: "body: not valid JSON")
        try await expect("/v1/predict", #"["the"]"#, status: 400, mentions: "body: expected a JSON object, found an array")
        // a missing field
        try await expect("/v1/predict", #"{"txt": "the"}"#, status: 400, mentions: "text: missing; expected a non-empty string")
        try await expect("/v1/predict", #"{"inputs": [{"text": "a"}, {"text": "b"}, {"tx": "c"}]}"#, status: 400,
                         mentions: "inputs[2].text: missing")
        // a mistyped field
        try await expect("/v1/predict", #"{"text": 5}"#, status: 400, mentions: "text: expected a non-empty string, found a number")
        try await expect("/v1/predict", #"{"text": "a", "text_pair": ["b"]}"#, status: 400,
                         mentions: "text_pair: expected a non-empty string, found an array")
        try await expect("/v1/predict", #"{"inputs": {"text": "a"}}"#, status: 400, mentions: "inputs: expected an array of objects, found an object")
        try await expect("/v1/predict", #"{"inputs": [{"text": "a"}, "b"]}"#, status: 400, mentions: "inputs[1]: expected an object, found a string")
        try await expect("/v1/embed", #"{"text": "a", "pooling": "max"}"#, status: 400, mentions: #"pooling: expected "mean", "cls", "pooler", found "max""#)
        try await expect("/v1/embed", #"{"text": "a", "normalize": "yes"}"#, status: 400, mentions: "normalize: expected true or false, found a string")
        // empty text
        try await expect("/v1/predict", #"{"text": ""}"#, status: 400, mentions: "text: expected a non-empty string, found an empty one")
        try await expect("/v1/predict", #"{"inputs": [{"text": "a"}, {"text": " \t"}]}"#, status: 400,
                         mentions: "inputs[1].text: expected a non-empty string, found only whitespace")
        try await expect("/v1/embed", #"{"inputs": [{"text": ""}]}"#, status: 400, mentions: "inputs[0].text: expected a non-empty string")
        try await expect("/v1/predict", #"{"inputs": []}"#, status: 400, mentions: "inputs: expected at least one input")
        // too many inputs
        let five = ServingFixtures.json(.object(["inputs": .array((0..<5).map { _ in .object(["text": .string("a")]) })]))
        try await expect("/v1/predict", five, status: 413, mentions: "5 inputs; at most 4 per request (--max-inputs)")
        try await expect("/v1/embed", five, status: 413, mentions: "(--max-inputs)")
        // a body over the limit, with its length declared or sent in chunks
        let large = ServingFixtures.json(.object(["text": .string(String(repeating: "a ", count: 3000))]))
        try await expect("/v1/predict", large, status: 413, mentions: "body: larger than 4096 bytes (--max-body-bytes)")
        let chunked = try await client.send("POST", "/v1/predict", body: Data(large.utf8), chunked: true)
        XCTAssertEqual(chunked.status, 413, chunked.text)
        XCTAssertTrue(chunked.text.contains("--max-body-bytes"), chunked.text)
        // routes that do not exist
        let missing = try await client.get("/v1/nothing")
        XCTAssertEqual(missing.status, 404)

        // after all that, the server answers as before, and counted the refusals
        let reference = try ServableModel.load(folder, warn: { _ in })
        let input = ServingFixtures.input(.classification, seed: 2)
        let reply = try await client.post("/v1/predict", json: ServingFixtures.json(input))
        XCTAssertEqual(reply.status, 200, reply.text)
        ServingFixtures.assertSameAnswer(try ServingFixtures.parse(reply.text), try ServingFixtures.answerAlone(reference, input))
        let metrics = try await live.metrics()
        XCTAssertEqual(metrics[#"bertkit_requests_total{route="/v1/predict",status="400"}"#], 12)
        XCTAssertEqual(metrics[#"bertkit_requests_total{route="/v1/predict",status="413"}"#], 3)
        XCTAssertEqual(metrics[#"bertkit_requests_total{route="/v1/embed",status="400"}"#], 3)
        XCTAssertEqual(metrics[#"bertkit_requests_total{route="other",status="404"}"#], 1)
        XCTAssertEqual(metrics["bertkit_queue_depth_inputs"], 0)
        try await live.stop()
    }

    func testQuestionAnsweringFieldsAreNamed() async throws {
        let folder = try ServingFixtures.checkpoint(.questionAnswering)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let live = try await LiveServer.start(folder)
        for (body, message) in [(#"{"question": "the"}"#, "context: missing; expected a non-empty string"),
                                (#"{"inputs": [{"question": "a", "context": "b c"}, {"question": 1, "context": "b"}]}"#,
                                 "inputs[1].question: expected a non-empty string, found a number"),
                                (#"{"question": "a", "context": ""}"#, "context: expected a non-empty string, found an empty one")] {
            let reply = try await live.client.post("/v1/predict", json: body)
            XCTAssertEqual(reply.status, 400, reply.text)
            XCTAssertEqual(try ServingFixtures.parse(reply.text)["error"]?.string, message)
        }
        try await live.stop()
    }

    /// A full queue: 503 with Retry-After and the limit named, while the queued request is
    /// still answered.
    func testFullQueueIsRefusedWithRetryAfter() async throws {
        let folder = try ServingFixtures.checkpoint(.classification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        // two inputs fill the queue, and the batch thread waits up to 3 s for more before it runs them
        let live = try await LiveServer.start(folder, limits: ServingLimits(maxBatchSize: 64, maxWaitMilliseconds: 3000, maxQueue: 2, maxInputs: 2))
        let client = live.client
        let inputs = [ServingFixtures.input(.classification, seed: 1), ServingFixtures.input(.classification, seed: 2)]
        let first = Task { try await client.post("/v1/predict", json: ServingFixtures.json(.object(["inputs": .array(inputs)]))) }
        try await waitUntil("two inputs are queued") { try await live.metric("bertkit_queue_depth_inputs") == 2 }

        let refused = try await client.post("/v1/predict", json: ServingFixtures.json(ServingFixtures.input(.classification, seed: 3)))
        XCTAssertEqual(refused.status, 503, refused.text)
        XCTAssertEqual(refused.headers["retry-after"], "1")
        XCTAssertEqual(try ServingFixtures.parse(refused.text)["error"]?.string,
                       "the queue is full (2 inputs waiting, at most 2: --max-queue); retry later")

        let reply = try await first.value
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(try ServingFixtures.parse(reply.text)["predictions"]?.array?.count, 2)
        let metrics = try await live.metrics()
        XCTAssertEqual(metrics["bertkit_queue_depth_inputs"], 0)
        XCTAssertEqual(metrics[#"bertkit_requests_total{route="/v1/predict",status="503"}"#], 1)
        try await live.stop()
    }

    /// A connection that sends nothing is closed after --idle-timeout-seconds, and the server
    /// goes on answering others.
    func testIdleConnectionIsClosed() async throws {
        let folder = try ServingFixtures.checkpoint(.classification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let live = try await LiveServer.start(folder, limits: ServingLimits(idleTimeoutSeconds: 1))
        let client = live.client
        let closedAfter = try await Task.detached { try client.secondsUntilIdleConnectionCloses(limit: 20) }.value
        let seconds = try XCTUnwrap(closedAfter, "the idle connection was still open after 20 s")
        XCTAssertGreaterThanOrEqual(seconds, 0.9)
        XCTAssertLessThan(seconds, 10)
        let model = try ServingFixtures.parse(try await client.get("/v1/model").text)
        XCTAssertEqual(model["limits"]?["idle_timeout_seconds"]?.number, 1)
        let health = try await client.get("/health")
        XCTAssertEqual(health.status, 200)
        try await live.stop()
    }
}
