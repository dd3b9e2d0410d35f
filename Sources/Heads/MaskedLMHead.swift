import Backbone
import Tensor

/// BertForMaskedLM's head (`cls.predictions`): at each predicted position,
///   h = LayerNorm(act(transform.dense(x)))      (act: the config's hidden_act)
///   logits = h · Eᵀ + bias                      (E: the word embeddings (V, C), the same tensor)
/// The decoder's weight is the backbone's `embeddings.word_embeddings.weight` itself, read a
/// second time: it is listed once (under `bert.`), and its gradient is the sum of both uses.
/// The bias is `cls.predictions.bias` (transformers' `cls.predictions.decoder.bias` is the same
/// tensor: a checkpoint may hold either name).
///
/// Which positions are predicted is what the targets say (the masked tokens), so the head's
/// work runs in the loss: the forward passes the backbone's states on, and the loss gathers the
/// labelled rows first, so that the transform and the vocabulary-sized GEMM run at those rows
/// only (about 15% of the tokens), not at every position as transformers does; the loss is the
/// same, since each position's logits depend on its own state alone.
public final class MaskedLMHead: Head {
    public let transformDense: Linear
    public let transformLayerNorm: LayerNorm
    public let activation: BertConfig.GELUOrReLU
    /// The decoder's weight: the backbone's word embeddings (V, C), not a parameter of its own.
    public let decoderWeight: Tensor
    /// `cls.predictions.bias` (V).
    public let bias: Tensor
    public var name: String { "masked-lm" }
    public var architecture: String { "BertForMaskedLM" }
    /// The loss reads labelled positions only, never padding.
    public var readsPaddingPositions: Bool { false }
    /// Pre-training trained it: a checkpoint without `cls.predictions.*` is worth a warning.
    public var expectsPretrainedWeights: Bool { true }
    public var checkpointAliases: [String: [String]] { ["cls.predictions.bias": ["cls.predictions.decoder.bias"]] }

    /// The output that carries the backbone's states, (B, T, C).
    public static let statesOutput = "last_hidden_state"

    /// - wordEmbeddings: the backbone's `embeddings.word_embeddings.weight` (V, C), which becomes
    ///   the decoder's weight (tied, not copied).
    public init(config: BertConfig, wordEmbeddings: Tensor) {
        precondition(wordEmbeddings.shape == [config.vocabSize, config.hiddenSize],
                     "masked-lm: word embeddings \(wordEmbeddings.shape) for vocab \(config.vocabSize) x hidden \(config.hiddenSize)")
        transformDense = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
        transformLayerNorm = LayerNorm(channels: config.hiddenSize, eps: config.layerNormEps)
        activation = config.hiddenAct
        decoderWeight = wordEmbeddings
        bias = Tensor(zeros: [config.vocabSize], requiresGrad: true)
    }

    /// "last_hidden_state": (B, T, C), the backbone's, unchanged (the head's work is in `loss`).
    public func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
        HeadOutput([Self.statesOutput: backbone.lastHiddenState], perToken: [Self.statesOutput])
    }

    /// The vocabulary logits at rows `rows` of the (B·T) positions: states (B, T, C) -> (M, V).
    public func logits(_ output: HeadOutput, rows: [Int]) -> Tensor {
        let states = output[Self.statesOutput]!
        let c = states.shape.last!
        let picked = gatherRows(states.reshaped([states.count / c, c]), rows: rows)        // (M, C)
        let dense = transformDense(picked)                                                  // (M, C)
        let activated: Tensor
        switch activation {
        case .gelu: activated = gelu(dense, kind: .erf)
        case .geluNew: activated = gelu(dense, kind: .tanh)
        case .relu: activated = relu(dense)
        }
        let transformed = transformLayerNorm(activated)                                     // (M, C)
        return linear(transformed, weight: decoderWeight, bias: bias)                       // (M, V)
    }

    /// Mean cross-entropy over the positions whose label is not -100 (the masked tokens); 0,
    /// outside the graph, for a batch without any (transformers' mean over none is NaN).
    public func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        return maskedLoss(output, labels: labels, denominator: nil)
    }

    /// The labelled positions.
    public func lossDenominators(_ output: HeadOutput, targets: any HeadTargets) throws -> [Double] {
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        return [crossEntropyDenominator(labels: labels)]
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets, denominators: [Double]) throws -> Tensor {
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        return maskedLoss(output, labels: labels, denominator: denominators[0])
    }

    private func maskedLoss(_ output: HeadOutput, labels: [Int32], denominator: Double?) -> Tensor {
        let rows = labels.indices.filter { labels[$0] != TokenLabels.ignored }
        guard !rows.isEmpty else { return Tensor(scalar: 0) }
        return crossEntropy(logits: logits(output, rows: rows), labels: rows.map { labels[$0] }, denominator: denominator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("cls.predictions.bias", bias)]
            + prefixed("cls.predictions.transform.dense", transformDense.namedParameters)
            + prefixed("cls.predictions.transform.LayerNorm", transformLayerNorm.namedParameters)
    }
}
