import Foundation
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
    /// Evaluation outputs, (B, T) each: the cross-entropy of each labelled position's label (0
    /// elsewhere) and the token the head ranks first there (-1 elsewhere).
    public static let maskedLossOutput = "masked_loss"
    public static let predictedTokenOutput = "predicted_token"
    /// Prediction output, (B, M, V): the logits at each sequence's asked positions (`MaskedPositions`),
    /// M the most any sequence of the batch asks; a sequence with fewer has zero rows after its own.
    public static let maskLogitsOutput = "mask_logits"

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

    /// With `TokenLabels` (an evaluation): at each labelled position, its loss and the best
    /// token (`maskedLossOutput`, `predictedTokenOutput`). With `MaskedPositions` (fill-mask):
    /// the logits there (`maskLogitsOutput`).
    public func predictionOutputs(_ output: HeadOutput, targets: (any HeadTargets)?) throws -> HeadOutput {
        guard let targets else { return output }
        if let asked = targets as? MaskedPositions { return maskLogits(output, asked: asked.positions) }
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        let states = output[Self.statesOutput]!
        let shape = Array(states.shape.dropLast())
        let losses = Tensor(zeros: shape), predicted = Tensor(zeros: shape)
        predicted.fill(-1)
        let rows = labels.indices.filter { labels[$0] != TokenLabels.ignored }
        if !rows.isEmpty {
            let logits = Autograd.noGrad { self.logits(output, rows: rows) }
            let v = logits.shape[1]
            Parallel.forEachRange(rows.count, minimumChunk: max(1, 65536 / v)) { range in
                for m in range {
                    let row = UnsafeBufferPointer(start: logits.data + m * v, count: v)
                    var best = 0, top = row[0]
                    for j in 1..<v where row[j] > top { (best, top) = (j, row[j]) }
                    // -log softmax at the label, from the log-sum-exp in Double
                    var sum = 0.0
                    for x in row { sum += exp(Double(x - top)) }
                    losses.data[rows[m]] = Float(Double(top) + log(sum) - Double(row[Int(labels[rows[m]])]))
                    predicted.data[rows[m]] = Float(best)
                }
            }
        }
        return HeadOutput([Self.maskedLossOutput: losses, Self.predictedTokenOutput: predicted],
                          perToken: [Self.maskedLossOutput, Self.predictedTokenOutput])
    }

    /// The mean of the labelled positions' losses that `predictionOutputs` kept (0 without
    /// any, as `loss`): the same value as `loss`, without running the decoder a second time.
    public func evaluationLoss(_ output: HeadOutput, kept: HeadOutput, targets: any HeadTargets) throws -> Double {
        let labels = try requireTargets(TokenLabels.self, in: targets).labels
        guard let losses = kept[Self.maskedLossOutput] else { return Double(try loss(output, targets: targets).item) }
        var sum = 0.0, count = 0
        for i in labels.indices where labels[i] != TokenLabels.ignored {
            sum += Double(losses.data[i])
            count += 1
        }
        return count > 0 ? sum / Double(count) : 0
    }

    /// (B, M, V): each sequence's asked positions' logits first, zeros after.
    private func maskLogits(_ output: HeadOutput, asked: [[Int]]) -> HeadOutput {
        let states = output[Self.statesOutput]!
        let t = states.shape[1], v = decoderWeight.shape[0], most = asked.map(\.count).max() ?? 0
        let rows = asked.enumerated().flatMap { b, positions in positions.map { b * t + $0 } }
        let out = Tensor(zeros: [asked.count, most, v])
        if !rows.isEmpty {
            let logits = Autograd.noGrad { self.logits(output, rows: rows) }                 // (M, V)
            var m = 0
            for (b, positions) in asked.enumerated() {
                for i in positions.indices {
                    (out.data + (b * most + i) * v).update(from: logits.data + m * v, count: v)
                    m += 1
                }
            }
        }
        return HeadOutput([Self.maskLogitsOutput: out])
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("cls.predictions.bias", bias)]
            + prefixed("cls.predictions.transform.dense", transformDense.namedParameters)
            + prefixed("cls.predictions.transform.LayerNorm", transformLayerNorm.namedParameters)
    }
}
