import Backbone
import Tensor

/// BertForQuestionAnswering: `qa_outputs` (2, C) on every token gives start and end logits.
/// Loss = (CE(start) + CE(end)) / 2, with positions clamped to [0, T] and T ignored, exactly as
/// transformers (an answer outside the window is labelled at [CLS] by the feature encoder).
public final class SpanExtractionHead: Head {
    public let qaOutputs: Linear
    public var name: String { "span-extraction" }
    public var architecture: String { "BertForQuestionAnswering" }

    public init(hiddenSize: Int) {
        qaOutputs = Linear(inFeatures: hiddenSize, outFeatures: 2)
    }

    /// "start_logits" and "end_logits": (B, T)
    public func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
        let logits = qaOutputs(backbone.lastHiddenState)                       // (B, T, 2)
        let shape = [batch.batchSize, batch.sequenceLength]
        return HeadOutput(["start_logits": sliceColumns(logits, 0..<1).reshaped(shape),
                           "end_logits": sliceColumns(logits, 1..<2).reshaped(shape)],
                          perToken: ["start_logits", "end_logits"])
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
        try loss(output, targets: targets, dividingBy: nil)
    }

    /// The starts and the ends that fall inside the sequences (those outside are ignored).
    public func lossDenominators(_ output: HeadOutput, targets: any HeadTargets) throws -> [Double] {
        let (starts, ends, ignored) = try clampedPositions(output, targets: targets)
        return [crossEntropyDenominator(labels: starts, ignoreIndex: ignored), crossEntropyDenominator(labels: ends, ignoreIndex: ignored)]
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets, denominators: [Double]) throws -> Tensor {
        try loss(output, targets: targets, dividingBy: denominators)
    }

    /// (CE(start) + CE(end)) / 2, each a mean over its positions inside the sequences.
    private func loss(_ output: HeadOutput, targets: any HeadTargets, dividingBy denominators: [Double]?) throws -> Tensor {
        let (starts, ends, ignored) = try clampedPositions(output, targets: targets)
        let startLoss = crossEntropy(logits: output["start_logits"]!, labels: starts, ignoreIndex: ignored, denominator: denominators?[0])
        let endLoss = crossEntropy(logits: output["end_logits"]!, labels: ends, ignoreIndex: ignored, denominator: denominators?[1])
        return scale(add(startLoss, endLoss), by: 0.5)
    }

    /// Positions outside 0..<T become T, the ignored index, as transformers clamps them.
    private func clampedPositions(_ output: HeadOutput, targets: any HeadTargets) throws -> (starts: [Int32], ends: [Int32], ignored: Int32) {
        let positions = try requireTargets(SpanPositions.self, in: targets)
        let ignored = Int32(output["start_logits"]!.shape[1])
        func clamped(_ positions: [Int32]) -> [Int32] { positions.map { min(max($0, 0), ignored) } }
        return (clamped(positions.starts), clamped(positions.ends), ignored)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("qa_outputs", qaOutputs.namedParameters) }
}
