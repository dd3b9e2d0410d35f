import Backbone
import Tensor

/// BertForTokenClassification: dropout -> `classifier` (K, C) on every token; cross-entropy,
/// optionally class-weighted, over the tokens whose label is not -100 (later sub-tokens,
/// specials, padding).
public final class TokenClassificationHead: ClassWeightedHead {
    public let classifier: Linear
    public let dropoutProbability: Float
    public var classWeights: [Float]?
    public var name: String { "token-classification" }
    public var architecture: String { "BertForTokenClassification" }
    /// Padding positions carry label -100: the loss never reads them, nor does evaluation.
    public var readsPaddingPositions: Bool { false }

    public init(hiddenSize: Int, labels: Int, dropout: Float, classWeights: [Float]? = nil) {
        classifier = Linear(inFeatures: hiddenSize, outFeatures: labels)
        dropoutProbability = dropout
        self.classWeights = classWeights
    }

    /// "logits": (B, T, K)
    public func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
        let dropped = dropout(backbone.lastHiddenState, probability: dropoutProbability, training: training, stream: &stream)
        return HeadOutput(["logits": classifier(dropped)], perToken: ["logits"])
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        return crossEntropy(logits: output["logits"]!, labels: labels, classWeights: classWeights)
    }

    /// The labelled tokens (their class weights when weighted).
    public func lossDenominators(_ output: HeadOutput, targets: any HeadTargets) throws -> [Double] {
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        return [crossEntropyDenominator(labels: labels, classWeights: classWeights)]
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets, denominators: [Double]) throws -> Tensor {
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        return crossEntropy(logits: output["logits"]!, labels: labels, classWeights: classWeights, denominator: denominators[0])
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("classifier", classifier.namedParameters) }
}
