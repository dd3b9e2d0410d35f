import Backbone
import Foundation
import Runner
@testable import Serving
import Tokenizers
import XCTest

/// Every route of the real server over HTTP, for each task kind: answers equal to `bertkit
/// predict`'s (the same ServableModel calls on the input alone), embeddings equal to `bertkit
/// embed`'s, the model's description, health and metrics.
final class ServingRoutesTests: XCTestCase {
    func testClassificationRoutes() async throws {
        try await checkRoutes(.classification) { input, answer in
            let labels = ServingFixtures.Kind.classification.labels
            XCTAssertTrue(labels.contains(answer["label"]?.string ?? ""), "\(answer)")
            guard case .object(let probabilities)? = answer["probabilities"] else { return XCTFail("no probabilities in \(answer)") }
            XCTAssertEqual(Set(probabilities.keys), Set(labels))
            XCTAssertEqual(probabilities.values.compactMap(\.number).reduce(0, +), 1, accuracy: 1e-6)
            XCTAssertEqual(answer["score"]?.number ?? -1, probabilities[answer["label"]!.string!]?.number ?? -2, accuracy: 1e-12)
        }
    }

    func testTokenClassificationRoutes() async throws {
        var entities = 0
        try await checkRoutes(.tokenClassification) { input, answer in
            // every entity is its text's code points [start, end)
            let text = Array(input["text"]!.string!.unicodeScalars)
            for entity in answer["entities"]?.array ?? [] {
                entities += 1
                let start = Int(entity["start"]!.number!), end = Int(entity["end"]!.number!)
                XCTAssertEqual(String(String.UnicodeScalarView(text[start..<end])), entity["text"]?.string, "\(entity)")
            }
            XCTAssertEqual(answer["words"]?.array?.count, answer["tags"]?.array?.count)
        }
        XCTAssertGreaterThan(entities, 0, "the random-weight tagger finds some entities, so that they are compared")
    }

    func testQuestionAnsweringRoutes() async throws {
        try await checkRoutes(.questionAnswering) { input, answer in
            let context = Array(input["context"]!.string!.unicodeScalars)
            let start = Int(answer["start"]!.number!), end = Int(answer["end"]!.number!)
            XCTAssertEqual(String(String.UnicodeScalarView(context[start..<end])), answer["answer"]?.string, "\(answer)")
            XCTAssertGreaterThan(answer["score"]?.number ?? 0, 0)
        }
    }

    /// Health, the model's description, predict (one input and a list), embed and metrics of
    /// a server for `kind`; `check` looks at each predict answer beside its input.
    private func checkRoutes(_ kind: ServingFixtures.Kind, check: (JSONValue, JSONValue) -> Void) async throws {
        let folder = try ServingFixtures.checkpoint(kind)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let live = try await LiveServer.start(folder)
        let reference = try ServableModel.load(folder, warn: { _ in })
        let client = live.client

        let health = try await client.get("/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(try ServingFixtures.parse(health.text)["status"], .string("serving"))

        let description = try ServingFixtures.parse(try await client.get("/v1/model").text)
        XCTAssertEqual(description["task_kind"], .string(kind.taskKind))
        XCTAssertEqual(description["head"], .string(kind.head))
        XCTAssertEqual(description["architecture"], .string(reference.architecture))
        XCTAssertEqual(description["labels"], .array(kind.labels.map { .string($0) }))
        XCTAssertEqual(description["max_seq_length"], .number(64))
        XCTAssertEqual(description["limits"]?["max_inputs"], .number(64))
        XCTAssertEqual(description["limits"]?["max_body_bytes"], .number(1_048_576))

        // one input, answered with one object
        let single = ServingFixtures.input(kind, seed: 4)
        let reply = try await client.post("/v1/predict", json: ServingFixtures.json(single))
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.headers["content-type"], "application/json")
        let answer = try ServingFixtures.parse(reply.text)
        ServingFixtures.assertSameAnswer(answer, try ServingFixtures.answerAlone(reference, single))
        check(single, answer)

        // a list, answered with {"predictions": [...]} in order; long inputs are truncated or windowed
        let inputs = (0..<12).map { ServingFixtures.input(kind, seed: $0) }
        let listReply = try await client.post("/v1/predict", json: ServingFixtures.json(.object(["inputs": .array(inputs)])))
        XCTAssertEqual(listReply.status, 200, listReply.text)
        let predictions = try ServingFixtures.parse(listReply.text)["predictions"]?.array ?? []
        XCTAssertEqual(predictions.count, inputs.count)
        for (input, prediction) in zip(inputs, predictions) {
            ServingFixtures.assertSameAnswer(prediction, try ServingFixtures.answerAlone(reference, input))
            check(input, prediction)
        }

        try await checkEmbeddings(live, reference: reference)

        let metrics = try await client.get("/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain") ?? false)
        let samples = try await live.metrics()
        XCTAssertEqual(samples[#"bertkit_requests_total{route="/v1/predict",status="200"}"#], 2, metrics.text)
        XCTAssertEqual(samples[#"bertkit_requests_total{route="/v1/embed",status="200"}"#], 2)
        XCTAssertEqual(samples[#"bertkit_requests_total{route="/health",status="200"}"#], 1)
        XCTAssertEqual(samples[#"bertkit_request_duration_seconds_count{route="/v1/predict"}"#], 2, metrics.text)
        XCTAssertEqual(samples[#"bertkit_request_duration_seconds_bucket{route="/v1/predict",le="10.0"}"#], 2)
        XCTAssertEqual(samples["bertkit_queue_depth_inputs"], 0)
        XCTAssertGreaterThanOrEqual(samples["bertkit_batch_features_count"] ?? 0, 4)
        XCTAssertNotNil(samples["bertkit_forward_duration_seconds_count"])

        try await live.stop()
    }

    /// /v1/embed against `bertkit embed`'s computation on the same backbone.
    private func checkEmbeddings(_ live: LiveServer, reference: ServableModel) async throws {
        let texts = ["the river of b", ServingFixtures.text(seed: 3, count: 90), "Zürich"]
        func alone(_ text: String, _ pooling: SentenceEmbedding.Pooling, normalize: Bool) throws -> [Float] {
            let limit = reference.model.backbone.config.maxPositionEmbeddings
            let ids = try reference.tokenizer.encode(.text(text), truncation: Truncation(maxLength: limit, strategy: .longestFirst))[0].ids.map(Int32.init)
            let batch = TokenBatch(sequences: [ids], padID: Int32(reference.tokenizer.padId))
            return SentenceEmbedding.vectors(reference.model.backbone.encode(batch, skipPadding: true), batch: batch, pooling: pooling, normalize: normalize)[0]
        }
        func assertClose(_ served: JSONValue?, _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
            let values = served?.array?.compactMap(\.number) ?? []
            XCTAssertEqual(values.count, expected.count, file: file, line: line)
            for (a, b) in zip(values, expected) { XCTAssertEqual(a, Double(b), accuracy: 1e-5, file: file, line: line) }
        }

        let single = try await live.client.post("/v1/embed", json: #"{"text": "the river of b"}"#)
        XCTAssertEqual(single.status, 200, single.text)
        let vector = try ServingFixtures.parse(single.text)["embedding"]
        assertClose(vector, try alone(texts[0], .mean, normalize: true))
        let norm = (vector?.array?.compactMap(\.number) ?? []).reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertEqual(norm, 1, accuracy: 1e-5)

        let body = ServingFixtures.json(.object(["inputs": .array(texts.map { .object(["text": .string($0)]) }),
                                                 "pooling": .string("cls"), "normalize": .bool(false)]))
        let list = try await live.client.post("/v1/embed", json: body)
        XCTAssertEqual(list.status, 200, list.text)
        let vectors = try ServingFixtures.parse(list.text)["embeddings"]?.array ?? []
        XCTAssertEqual(vectors.count, texts.count)
        for (served, text) in zip(vectors, texts) { assertClose(served, try alone(text, .cls, normalize: false)) }
    }

    /// A graceful shutdown (SIGTERM's) with a request in flight: /health turns 503 at once,
    /// the request is still answered (without waiting out --max-wait-ms), then the server stops.
    func testGracefulShutdownAnswersTheRequestInFlight() async throws {
        let folder = try ServingFixtures.checkpoint(.classification)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        // batches wait up to 20 s to fill: the request stays queued until shutdown drains it
        let live = try await LiveServer.start(folder, limits: ServingLimits(maxBatchSize: 64, maxWaitMilliseconds: 20_000))
        let reference = try ServableModel.load(folder, warn: { _ in })
        let input = ServingFixtures.input(.classification, seed: 7)
        let client = live.client
        let inFlight = Task { try await client.post("/v1/predict", json: ServingFixtures.json(input)) }
        try await waitUntil("the request is queued") { try await live.metric("bertkit_queue_depth_inputs") == 1 }
        XCTAssertFalse(live.server.health.isShuttingDown)

        let started = Date()
        let stopping = Task { try await live.stop() }
        try await waitUntil("shutdown has begun") { live.server.health.isShuttingDown }
        let reply = try await inFlight.value
        XCTAssertEqual(reply.status, 200, reply.text)
        ServingFixtures.assertSameAnswer(try ServingFixtures.parse(reply.text), try ServingFixtures.answerAlone(reference, input))
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "the queue is drained at shutdown, not after --max-wait-ms")
        try await stopping.value
        XCTAssertThrowsError(try client.sendBlocking("GET", "/health"), "the server no longer accepts connections")
    }
}

/// Polls `condition` every 20 ms for at most `seconds`.
func waitUntil(_ what: String, seconds: Double = 30, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("timed out waiting until \(what)")
}
