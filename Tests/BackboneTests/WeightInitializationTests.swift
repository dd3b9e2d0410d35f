import XCTest
import Tensor
@testable import Backbone

/// transformers' `_init_weights` as one rule: the backbone, a new head and the benchmark's models
/// all start from it, so it must give normals to matrices in order, 1 to LayerNorm weights and 0
/// to every other vector.
final class WeightInitializationTests: XCTestCase {
    func testMatricesDrawNormalsInOrderAndVectorsGetOneOrZero() {
        let parameters: [(name: String, tensor: Tensor)] = [
            ("dense.weight", Tensor(zeros: [3, 2])), ("dense.bias", Tensor(zeros: [3])),
            ("LayerNorm.weight", Tensor(zeros: [2])), ("LayerNorm.bias", Tensor(zeros: [2])),
            ("crf.transitions", Tensor(zeros: [2, 2])), ("crf.start_transitions", Tensor(zeros: [2])),
        ]
        for (_, tensor) in parameters { tensor.fill(5) }   // every element must be written
        var stream = RandomStream(key: 9)
        var expectedStream = stream
        WeightInitialization.apply(to: parameters, initializerRange: 0.5, stream: &stream)
        let draws = (0..<10).map { _ in Float(expectedStream.nextNormal()) * 0.5 }
        XCTAssertEqual(parameters[0].tensor.values, Array(draws[0..<6]))
        XCTAssertEqual(parameters[1].tensor.values, [0, 0, 0])
        XCTAssertEqual(parameters[2].tensor.values, [1, 1])
        XCTAssertEqual(parameters[3].tensor.values, [0, 0])
        XCTAssertEqual(parameters[4].tensor.values, Array(draws[6..<10]))
        XCTAssertEqual(parameters[5].tensor.values, [0, 0])
        XCTAssertEqual(stream, expectedStream, "one draw per matrix element, none for vectors")
    }

    func testBackboneFollowsTheRuleAndZeroesThePaddingRow() {
        let config = BertConfig(vocabSize: 20, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                                intermediateSize: 16, maxPositionEmbeddings: 10, padTokenID: 3)
        let model = BertModel(config: config)
        var stream = RandomStream(key: 4)
        var expectedStream = stream
        model.initializeWeights(stream: &stream)
        let reference = model.namedParameters.map { (name: $0.name, tensor: Tensor(zeros: $0.tensor.shape)) }
        WeightInitialization.apply(to: reference, initializerRange: config.initializerRange, stream: &expectedStream)
        XCTAssertEqual(stream, expectedStream)
        let words = model.embeddings.wordEmbeddings.weight.values
        for (parameter, expected) in zip(model.namedParameters, reference) {
            var values = expected.tensor.values
            if parameter.name == "embeddings.word_embeddings.weight" {
                XCTAssertEqual(Array(words[24..<32]), Array(repeating: 0, count: 8), "padding row 3")
                XCTAssertNotEqual(Array(values[24..<32]), Array(repeating: 0, count: 8))
                values.replaceSubrange(24..<32, with: repeatElement(0, count: 8))
            }
            XCTAssertEqual(parameter.tensor.values, values, parameter.name)
        }
        XCTAssertEqual(model.embeddings.layerNorm.weight.values, Array(repeating: 1, count: 8))
    }
}
