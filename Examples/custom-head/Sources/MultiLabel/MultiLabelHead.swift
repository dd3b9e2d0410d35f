import Backbone
import Heads
import Tensor

/// Multi-label classification: the mask-weighted mean of the last hidden states -> dropout ->
/// `classifier` (K, C) gives one logit per label; each label is on when σ(logit) ≥ 0.5.
/// Loss: binary cross-entropy against the (B, K) 0/1 matrix of the task kind's `LabelVectors`.
/// The tensors are BertForSequenceClassification's (`classifier.*`); the architecture string is
/// this example's own, so BertKit never mistakes the checkpoint for a single-label one.
public final class MultiLabelHead: Head {
    public let classifier: Linear
    public let dropoutProbability: Float
    public var name: String { "multi-label-classification" }
    public var architecture: String { MultiLabel.architecture }

    public init(hiddenSize: Int, labels: Int, dropout: Float) {
        classifier = Linear(inFeatures: hiddenSize, outFeatures: labels)
        dropoutProbability = dropout
    }

    /// "logits": (B, K)
    public func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
        let pooled = maskedMeanPool(backbone.lastHiddenState, mask: batch.maskTensor, batch: batch.batchSize)   // (B, C)
        let dropped = dropout(pooled, probability: dropoutProbability, training: training, stream: &stream)
        return HeadOutput(["logits": classifier(dropped)])
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
        let matrix = try requireTargets(LabelVectors.self, in: targets)
        return binaryCrossEntropy(logits: output["logits"]!, targets: matrix.values)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("classifier", classifier.namedParameters) }
}
