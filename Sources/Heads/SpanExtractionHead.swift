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
        let positions = try requireTargets(SpanPositions.self, in: targets)
        let start = output["start_logits"]!, end = output["end_logits"]!
        let ignored = Int32(start.shape[1])
        func clamped(_ positions: [Int32]) -> [Int32] { positions.map { min(max($0, 0), ignored) } }
        let startLoss = crossEntropy(logits: start, labels: clamped(positions.starts), ignoreIndex: ignored)
        let endLoss = crossEntropy(logits: end, labels: clamped(positions.ends), ignoreIndex: ignored)
        return scale(add(startLoss, endLoss), by: 0.5)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("qa_outputs", qaOutputs.namedParameters) }
}
