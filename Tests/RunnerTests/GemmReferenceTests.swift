import XCTest
@testable import Backbone
@testable import Runner

/// The GEMM reference of `bertkit bench train|infer`: the shapes are one layer's GEMMs and
/// their combined rate weighs each by its FLOPs.
final class GemmReferenceTests: XCTestCase {
    func flops(_ shapes: [GemmBenchmark.Shape]) -> Double {
        shapes.map { 2.0 * Double($0.m) * Double($0.n) * Double($0.k) }.reduce(0, +)
    }

    func testLayerShapesCarryTheLayersLinearFLOPs() {
        let c = 384, f = 1536, tokens = 2048
        let weights = Double(4 * c * c + 2 * c * f)             // q, k, v, o and the feed-forward
        let forward = GemmBenchmark.layerShapes(hidden: c, intermediate: f, tokens: tokens, training: false)
        let training = GemmBenchmark.layerShapes(hidden: c, intermediate: f, tokens: tokens, training: true)
        XCTAssertEqual(forward.count, 4)
        XCTAssertTrue(forward.allSatisfy { !$0.transposeA && $0.transposeB }, "the forward is x·Wᵀ")
        XCTAssertEqual(flops(forward), 2 * weights * Double(tokens))
        // forward, input gradients and weight gradients (q, k and v's three from one gradient): 6 per weight per token
        XCTAssertEqual(training.count, 4 + 4 + 6)
        XCTAssertEqual(flops(training), 6 * weights * Double(tokens))
        // with the attention products and the biases and layer norms left out, the peer's count per token (docs/architecture.md)
        let config = BertConfig(hiddenSize: c, numHiddenLayers: 1, numAttentionHeads: 12, intermediateSize: f)
        let perToken = ModelBenchmark.trainingFLOPsPerToken(config, sequenceLength: 128)
        XCTAssertEqual(flops(training) / Double(tokens), perToken - 12 * 128 * Double(c) - 6 * Double(4 * c + f + c + 4 * c), accuracy: 1)
    }

    func testCombinedRateIsTotalFLOPsOverTotalTime() {
        let small = GemmBenchmark.Shape(name: "small", m: 10, n: 10, k: 10, transposeA: false, transposeB: false)   // 2,000 FLOPs
        let large = GemmBenchmark.Shape(name: "large", m: 20, n: 10, k: 10, transposeA: false, transposeB: false)   // 4,000 FLOPs
        let results = [GemmBenchmark.Result(shape: small, gflops: Summary([100])),
                       GemmBenchmark.Result(shape: large, gflops: Summary([400]))]
        // 2e3/100e9 + 4e3/400e9 = 3e-8 s for 6e3 FLOPs: 200 GFLOP/s, not the plain mean 250
        XCTAssertEqual(GemmBenchmark.combinedRate(results), 200, accuracy: 1e-9)
    }
}
