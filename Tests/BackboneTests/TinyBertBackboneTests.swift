import XCTest
import Tensor
@testable import Backbone

final class TinyBertBackboneTests: XCTestCase {
    func testEveryHiddenStateAndThePooledOutputMatchTransformers() throws {
        let model = try BertModel.load(from: ModelFolder(Fixtures.tinyBert))
        let reference = try Fixtures.reference("tiny-bert/backbone-reference.safetensors")
        let batch = try Fixtures.batch(from: reference)
        let output = model.encode(batch, outputHiddenStates: true)
        XCTAssertEqual(output.hiddenStates?.count, 3)
        for (i, state) in (output.hiddenStates ?? []).enumerated() {
            let expected = try reference.tensor(named: "hidden_states.\(i)")
            XCTAssertLessThanOrEqual(maxAbsoluteDifference(state.values, expected.values), 1e-5, "hidden_states.\(i)")
        }
        let last = try reference.tensor(named: "last_hidden_state")
        XCTAssertEqual(output.lastHiddenState.shape, last.shape)
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(output.lastHiddenState.values, last.values), 1e-5)
        let pooled = try reference.tensor(named: "pooler_output")
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(output.pooledOutput!.values, pooled.values), 1e-5)
    }

    func testConfigFieldsAreRead() throws {
        let config = try ModelFolder(Fixtures.tinyBert).config()
        XCTAssertEqual(config.hiddenSize, 32)
        XCTAssertEqual(config.numHiddenLayers, 2)
        XCTAssertEqual(config.numAttentionHeads, 4)
        XCTAssertEqual(config.intermediateSize, 64)
        XCTAssertEqual(config.vocabSize, 2000)
        XCTAssertEqual(config.maxPositionEmbeddings, 64)
        XCTAssertEqual(config.layerNormEps, 1e-12)
        XCTAssertEqual(config.hiddenAct, .gelu)
    }

    func testUnsupportedActivationIsRefusedByName() {
        XCTAssertThrowsError(try BertConfig(json: ["vocab_size": .number(10), "hidden_size": .number(4), "num_hidden_layers": .number(1),
                                                   "num_attention_heads": .number(2), "intermediate_size": .number(8),
                                                   "hidden_act": .string("swish")], path: "config.json")) { error in
            XCTAssertTrue("\(error)".contains("hidden_act"), "\(error)")
            XCTAssertTrue("\(error)".contains("swish"), "\(error)")
        }
    }

    func testDropoutWithAFixedSeedIsReproducible() throws {
        let model = try BertModel.load(from: ModelFolder(Fixtures.tinyBert))
        let batch = try Fixtures.batch(from: Fixtures.reference("tiny-bert/backbone-reference.safetensors"))
        func run(seed: UInt64) -> [Float] {
            var streams = RandomStreams(seed: seed)
            return Autograd.noGrad { model(batch, training: true, stream: &streams.dropout).lastHiddenState.values }
        }
        XCTAssertEqual(run(seed: 1), run(seed: 1))
        XCTAssertNotEqual(run(seed: 1), run(seed: 2))
        XCTAssertNotEqual(run(seed: 1), model.encode(batch).lastHiddenState.values, "training mode applies dropout")
    }
}
