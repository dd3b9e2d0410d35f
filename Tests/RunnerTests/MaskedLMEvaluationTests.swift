import Foundation
import XCTest
import Backbone
import Heads
import Tasks
import Tensor
@testable import Runner

/// An evaluation of a masked LM runs the head's transform and vocabulary-sized GEMM once per
/// batch: the mean loss comes from the per-position losses `predictionOutputs` kept
/// (`Head.evaluationLoss`), not from a second pass through `loss`, and it is the loss's value.
final class MaskedLMEvaluationTests: XCTestCase {
    /// The masked-LM head, counting the calls of its training loss.
    final class LossCountingHead: Head {
        let inner: MaskedLMHead
        var lossCalls = 0
        init(_ inner: MaskedLMHead) { self.inner = inner }
        var name: String { inner.name }
        var architecture: String { inner.architecture }
        var readsPaddingPositions: Bool { inner.readsPaddingPositions }
        var namedParameters: [(name: String, tensor: Tensor)] { inner.namedParameters }
        func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
            inner(backbone, batch: batch, training: training, stream: &stream)
        }
        func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
            lossCalls += 1
            return try inner.loss(output, targets: targets)
        }
        func predictionOutputs(_ output: HeadOutput, targets: (any HeadTargets)?) throws -> HeadOutput {
            try inner.predictionOutputs(output, targets: targets)
        }
        func evaluationLoss(_ output: HeadOutput, kept: HeadOutput, targets: any HeadTargets) throws -> Double {
            try inner.evaluationLoss(output, kept: kept, targets: targets)
        }
    }

    /// 21 sequences of 6 to 26 tokens, [CLS] first and [SEP] last, about 15% of the rest labelled
    /// (at least one each).
    static func features(vocabularySize: Int) -> [EncodedFeature] {
        var stream = RandomStream(key: 11)
        return (0..<21).map { i in
            let length = 6 + i
            let ids = (0..<length).map { j in j == 0 ? Int32(101) : j == length - 1 ? Int32(102) : Int32(1000 + stream.nextInt(below: vocabularySize - 1000)) }
            var labels = ids.indices.map { j in j > 0 && j < length - 1 && stream.nextUniform() < 0.15 ? ids[j] : TokenLabels.ignored }
            if !labels.contains(where: { $0 != TokenLabels.ignored }) { labels[1] = ids[1] }
            return EncodedFeature(inputIDs: ids, tokenTypeIDs: Array(repeating: 0, count: length), exampleIndex: i, targets: TokenLabels(labels))
        }
    }

    func testTheEvaluationLossComesFromThePredictionOutputsAndEqualsTheLoss() throws {
        var stream = RandomStream(key: 0)
        let folder = BertKitProcess.fixtures.appendingPathComponent("masked-lm/tiny-bert-mlm")
        let loaded = try TaskModel.load(from: ModelFolder(folder), descriptor: BuiltInHeads.maskedLM, labels: [], stream: &stream, warn: { _ in })
        let head = LossCountingHead(try XCTUnwrap(loaded.head as? MaskedLMHead))
        let model = TaskModel(backbone: loaded.backbone, head: head)
        let features = Self.features(vocabularySize: loaded.backbone.config.vocabSize)

        let (outputs, loss) = try Predictor(model: model, padID: 0, batchSize: 8).run(features)
        XCTAssertEqual(head.lossCalls, 0, "the decoder ran once per batch, in predictionOutputs")
        XCTAssertEqual(outputs.count, features.count)

        // the same batches through the training loss: the mean over them, weighted by sequences
        var sum = 0.0, sequences = 0
        for indices in BatchOrder.evaluationBatches(lengths: features.map(\.length), batchSize: 8) {
            let batch = FeatureBatch(features: features, indices: indices, padID: 0)
            sum += Double(try head.inner.loss(model.predict(batch.tokens), targets: try XCTUnwrap(batch.targets)).item) * Double(indices.count)
            sequences += indices.count
        }
        let expected = sum / Double(sequences)
        XCTAssertGreaterThan(expected, 1, "a loss worth comparing")
        XCTAssertEqual(try XCTUnwrap(loss), expected, accuracy: 1e-5 * expected)
    }
}
