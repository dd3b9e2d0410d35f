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

    /// Skipping padding: every hidden state at real tokens and the pooled output as transformers
    /// computes them, zeros at padding positions.
    func testSkippingPaddingKeepsEveryRealTokensStates() throws {
        let model = try BertModel.load(from: ModelFolder(Fixtures.tinyBert))
        let reference = try Fixtures.reference("tiny-bert/backbone-reference.safetensors")
        let batch = try Fixtures.batch(from: reference)
        XCTAssertLessThan(batch.tokenCount, batch.batchSize * batch.sequenceLength, "the fixture batch has padding")
        var stream = RandomStream(key: 0)
        let output = Autograd.noGrad { model(batch, stream: &stream, outputHiddenStates: true, skipPadding: true) }
        let c = model.config.hiddenSize
        for (i, state) in (output.hiddenStates ?? []).enumerated() {
            let expected = try reference.tensor(named: "hidden_states.\(i)").values
            for (row, kept) in batch.attentionMask.enumerated() {
                let actual = Array(state.values[(row * c)..<((row + 1) * c)])
                if kept != 0 {
                    XCTAssertLessThanOrEqual(maxAbsoluteDifference(actual, Array(expected[(row * c)..<((row + 1) * c)])), 1e-5, "hidden_states.\(i) row \(row)")
                } else {
                    XCTAssertEqual(actual, Array(repeating: 0, count: c), "hidden_states.\(i) padding row \(row)")
                }
            }
        }
        XCTAssertEqual(output.hiddenStates?.count, 3)
        let pooled = try reference.tensor(named: "pooler_output")
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(output.pooledOutput!.values, pooled.values), 1e-5)
    }

    func testPackedTokensKeepTheMaskedTokensInOrder() {
        let batch = TokenBatch(sequences: [[101, 7, 8, 102], [101, 9, 102]], typeIDs: [[0, 0, 1, 1], [0, 1, 1]], padID: 0)
        let packed = batch.packed
        XCTAssertEqual(packed.inputIDs, [101, 7, 8, 102, 101, 9, 102])
        XCTAssertEqual(packed.tokenTypeIDs, [0, 0, 1, 1, 0, 1, 1])
        XCTAssertEqual(packed.positionIDs, [0, 1, 2, 3, 0, 1, 2])
        XCTAssertEqual(packed.sequenceLengths, [4, 3])
        XCTAssertEqual(packed.paddedRows, [0, 1, 2, 3, 4, 5, 6])
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
