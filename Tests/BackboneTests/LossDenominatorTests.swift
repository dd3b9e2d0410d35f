import Foundation
import XCTest
import Tensor
import Backbone
import Heads

/// Data-parallel training splits a batch over ranks and divides each rank's loss by the counts
/// summed over all of them (`Head.lossDenominators`): the parts' losses and gradients must then
/// add up to the whole batch's. Checked here for every built-in head on random logits, without
/// MPI: the batch cut in two "ranks" by hand.
final class LossDenominatorTests: XCTestCase {
    /// Random logits of `shape` as a leaf that takes a gradient.
    func logits(_ shape: [Int], seed: UInt64) -> Tensor {
        var stream = RandomStream(key: seed)
        return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(stream.nextNormal()) }, requiresGrad: true)
    }

    /// Rows `rows` of a (B, ...) tensor, as a new leaf.
    func rows(_ t: Tensor, _ rows: Range<Int>) -> Tensor {
        let perRow = t.count / t.shape[0]
        let values = Array(t.values[(rows.lowerBound * perRow)..<(rows.upperBound * perRow)])
        return Tensor(shape: [rows.count] + Array(t.shape.dropFirst()), values: values, requiresGrad: true)
    }

    /// The whole batch's loss and logits gradients against the two parts' (rows 0..<cut and
    /// cut..<B) with the summed denominators.
    func assertPartsAddUp(head: Head, outputs: [String: Tensor], perToken: Set<String>,
                          targets: (Range<Int>?) -> any HeadTargets, cut: Int,
                          file: StaticString = #filePath, line: UInt = #line) throws {
        let batch = outputs.values.first!.shape[0]
        let whole = try head.loss(HeadOutput(outputs, perToken: perToken), targets: targets(nil))
        whole.backward()
        var partOutputs: [[String: Tensor]] = []
        var denominators: [Double] = []
        for range in [0..<cut, cut..<batch] {
            let part = outputs.mapValues { rows($0, range) }
            partOutputs.append(part)
            let counts = try head.lossDenominators(HeadOutput(part, perToken: perToken), targets: targets(range))
            denominators = denominators.isEmpty ? counts : zip(denominators, counts).map(+)
        }
        var sum = 0.0
        for (part, range) in zip(partOutputs, [0..<cut, cut..<batch]) {
            let loss = try head.loss(HeadOutput(part, perToken: perToken), targets: targets(range), denominators: denominators)
            sum += Double(loss.item)
            loss.backward()
        }
        XCTAssertEqual(sum, Double(whole.item), accuracy: 1e-6 * max(1, abs(Double(whole.item))), "loss", file: file, line: line)
        for (name, tensor) in outputs {
            let joined = partOutputs[0][name]!.grad!.values + partOutputs[1][name]!.grad!.values
            let reference = tensor.grad!.values
            XCTAssertEqual(joined.count, reference.count, file: file, line: line)
            let largest = reference.map(abs).max()!
            XCTAssertGreaterThan(largest, 0, "a gradient that is all zeros tests nothing", file: file, line: line)
            for (a, b) in zip(joined, reference) {
                XCTAssertEqual(a, b, accuracy: 1e-6 * largest, "d loss / d \(name)", file: file, line: line)
            }
        }
        // with a part's own counts the loss is the ordinary one
        let own = try head.lossDenominators(HeadOutput(outputs, perToken: perToken), targets: targets(nil))
        let again = try head.loss(HeadOutput(outputs.mapValues { rows($0, 0..<batch) }, perToken: perToken), targets: targets(nil), denominators: own)
        XCTAssertEqual(again.item, whole.item, "own denominators", file: file, line: line)
    }

    func testSequenceClassificationWithClassWeights() throws {
        let labels: [Int32] = [0, 2, 1, 0, 0, 2, 1]
        let head = SequenceClassificationHead(hiddenSize: 4, labels: 3, dropout: 0, classWeights: [0.5, 2, 3])
        try assertPartsAddUp(head: head, outputs: ["logits": logits([7, 3], seed: 1)], perToken: [],
                             targets: { SequenceLabels(Array(labels[$0 ?? 0..<7])) }, cut: 5)
    }

    func testSequenceRegression() throws {
        let values: [Int32] = [3, 1, 4, 1, 5]
        let head = SequenceClassificationHead(hiddenSize: 4, labels: 1, dropout: 0)
        try assertPartsAddUp(head: head, outputs: ["logits": logits([5, 1], seed: 2)], perToken: [],
                             targets: { SequenceLabels(Array(values[$0 ?? 0..<5])) }, cut: 2)
    }

    func testTokenClassificationWithClassWeightsAndUnlabelledPositions() throws {
        // (3 sequences, 4 positions); -100 for positions outside the loss, unevenly spread
        let labels: [Int32] = [-100, 1, 0, -100,  -100, 2, 2, 1,  -100, 0, -100, -100]
        let head = TokenClassificationHead(hiddenSize: 4, labels: 3, dropout: 0, classWeights: [1, 4, 0.25])
        try assertPartsAddUp(head: head, outputs: ["logits": logits([3, 4, 3], seed: 3)], perToken: ["logits"],
                             targets: { range in TokenLabels(Array(labels[(range.map { ($0.lowerBound * 4)..<($0.upperBound * 4) } ?? 0..<12)])) },
                             cut: 1)
    }

    func testSpanExtractionWithPositionsOutsideTheSequence() throws {
        // 4 sequences of 6 positions; one start and one end beyond them (ignored), so the two
        // terms average over different counts
        let starts: [Int32] = [1, 9, 0, 3], ends: [Int32] = [2, 4, 7, 3]
        let head = SpanExtractionHead(hiddenSize: 4)
        try assertPartsAddUp(head: head, outputs: ["start_logits": logits([4, 6], seed: 4), "end_logits": logits([4, 6], seed: 5)],
                             perToken: ["start_logits", "end_logits"],
                             targets: { range in let r = range ?? 0..<4; return SpanPositions(starts: Array(starts[r]), ends: Array(ends[r])) },
                             cut: 1)
    }

    func testMaskedLanguageModelWithUnevenlySpreadMasks() throws {
        // 3 sequences of 4 positions, C 4, V 6; the head's weights drawn so that every gradient is alive
        let config = BertConfig(vocabSize: 6, hiddenSize: 4, numHiddenLayers: 1, numAttentionHeads: 1, intermediateSize: 8)
        let head = MaskedLMHead(config: config, wordEmbeddings: logits([6, 4], seed: 7))
        var stream = RandomStream(key: 8)
        for (_, tensor) in head.namedParameters { fillNormal(tensor, standardDeviation: 0.5, stream: &stream) }
        let labels: [Int32] = [-100, 5, 0, -100,  -100, -100, -100, -100,  2, 2, -100, 1]
        try assertPartsAddUp(head: head, outputs: [MaskedLMHead.statesOutput: logits([3, 4, 4], seed: 9)], perToken: [MaskedLMHead.statesOutput],
                             targets: { range in TokenLabels(Array(labels[(range.map { ($0.lowerBound * 4)..<($0.upperBound * 4) } ?? 0..<12)])) },
                             cut: 2)
    }

    /// A head that keeps the protocol's default: its loss scaled by its share of the sequences.
    func testDefaultForAHeadWhoseLossIsAMeanOverSequences() throws {
        final class MeanSquaredHead: Head {
            var name: String { "test-mse" }
            var architecture: String { "none" }
            func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput { fatalError() }
            func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
                let labels = try requireTargets(SequenceLabels.self, in: targets).labels
                return meanSquaredError(prediction: output["logits"]!, target: labels.map(Float.init))
            }
            var namedParameters: [(name: String, tensor: Tensor)] { [] }
        }
        let values: [Int32] = [2, 0, 1, 3, 1, 1]
        try assertPartsAddUp(head: MeanSquaredHead(), outputs: ["logits": logits([6, 1], seed: 6)], perToken: [],
                             targets: { SequenceLabels(Array(values[$0 ?? 0..<6])) }, cut: 4)
    }
}
