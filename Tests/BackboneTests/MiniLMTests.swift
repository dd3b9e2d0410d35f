import XCTest
import Tensor
@testable import Backbone

/// all-MiniLM-L6-v2 (fetched by scripts/setup.sh into models/) against transformers on the
/// seven sentences of the fixture.
final class MiniLMTests: XCTestCase {
    func testLastHiddenStateAndSentenceSimilarities() throws {
        let model = try BertModel.load(from: ModelFolder(Fixtures.miniLM))
        let reference = try Fixtures.reference("minilm/reference.safetensors")
        let batch = try Fixtures.batch(from: reference)
        let output = model.encode(batch)
        let expected = try reference.tensor(named: "last_hidden_state")
        XCTAssertEqual(output.lastHiddenState.shape, expected.shape)
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(output.lastHiddenState.values, expected.values), 1e-4)

        let embeddings = SentenceEmbedding.mean(output, batch: batch, normalize: true)
        let expectedEmbeddings = try reference.tensor(named: "mean_pooled_normalized")
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(embeddings.flatMap { $0 }, expectedEmbeddings.values), 1e-5)
        // sentence-transformers' documented values (sentences 1-2, 1-3, 4-5 of the fixture's 0-based list)
        XCTAssertEqual(Self.round4(SentenceEmbedding.cosine(embeddings[1], embeddings[2])), 0.6660)
        XCTAssertEqual(Self.round4(SentenceEmbedding.cosine(embeddings[1], embeddings[3])), 0.1046)
        XCTAssertEqual(Self.round4(SentenceEmbedding.cosine(embeddings[4], embeddings[5])), 0.7553)
    }

    static func round4(_ x: Float) -> Float { (x * 10_000).rounded() / 10_000 }
}
