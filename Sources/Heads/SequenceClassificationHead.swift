import Backbone
import Tensor

/// BertForSequenceClassification: pooled output -> dropout -> `classifier` (K, C).
/// One label means regression (MSE), as transformers; otherwise cross-entropy, optionally
/// class-weighted. `pooling` picks the sequence vector: the tanh pooler (transformers' choice),
/// the [CLS] token's last hidden state, or the mask-weighted mean of the tokens.
public final class SequenceClassificationHead: ClassWeightedHead {
    public enum Pooling: String, Sendable, CaseIterable { case pooler, cls, mean }

    public let classifier: Linear
    public let pooling: Pooling
    public let dropoutProbability: Float
    public var classWeights: [Float]?
    public var name: String { "sequence-classification" }
    public var architecture: String { "BertForSequenceClassification" }
    /// [CLS] and the masked mean read real tokens only.
    public var readsPaddingPositions: Bool { false }
    /// Pooling `pooler` needs a checkpoint with pooler.dense.* (cls and mean do not).
    public var readsPooledOutput: Bool { pooling == .pooler }

    public init(hiddenSize: Int, labels: Int, pooling: Pooling = .pooler, dropout: Float, classWeights: [Float]? = nil) {
        classifier = Linear(inFeatures: hiddenSize, outFeatures: labels)
        self.pooling = pooling
        self.dropoutProbability = dropout
        self.classWeights = classWeights
    }

    public var labelCount: Int { classifier.outFeatures }

    /// "logits": (B, K)
    public func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
        let pooled: Tensor
        switch pooling {
        case .pooler:
            guard let output = backbone.pooledOutput else {
                preconditionFailure("pooling `pooler` on a backbone without a pooler; the loader refuses this combination")
            }
            pooled = output
        case .cls:
            pooled = selectTokens(backbone.lastHiddenState, positions: Array(repeating: 0, count: batch.batchSize), batch: batch.batchSize)
        case .mean:
            pooled = maskedMeanPool(backbone.lastHiddenState, mask: batch.maskTensor, batch: batch.batchSize)
        }
        let dropped = dropout(pooled, probability: dropoutProbability, training: training, stream: &stream)
        return HeadOutput(["logits": classifier(dropped)])
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
        let logits = output["logits"]!
        let labels = try requireTargets(SequenceLabels.self, in: targets).labels
        if labelCount == 1 { return meanSquaredError(prediction: logits, target: labels.map(Float.init)) }
        return crossEntropy(logits: logits, labels: labels, classWeights: classWeights)
    }

    /// The sequences (regression), or the class weights of their labels (1 each without weights).
    public func lossDenominators(_ output: HeadOutput, targets: any HeadTargets) throws -> [Double] {
        let labels = try requireTargets(SequenceLabels.self, in: targets).labels
        if labelCount == 1 { return [Double(labels.count)] }
        return [crossEntropyDenominator(labels: labels, classWeights: classWeights)]
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets, denominators: [Double]) throws -> Tensor {
        let logits = output["logits"]!
        let labels = try requireTargets(SequenceLabels.self, in: targets).labels
        if labelCount == 1 { return meanSquaredError(prediction: logits, target: labels.map(Float.init), denominator: denominators[0]) }
        return crossEntropy(logits: logits, labels: labels, classWeights: classWeights, denominator: denominators[0])
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("classifier", classifier.namedParameters) }
}
