import Tensor

/// What the backbone returns for a batch.
public struct BertOutput {
    /// (B·T, C), shape [B, T, C].
    public let lastHiddenState: Tensor
    /// tanh(pooler.dense(h[:, 0])), (B, C); nil when the model has no pooler.
    public let pooledOutput: Tensor?
    /// The embeddings output then every layer's output, each (B·T, C), when requested.
    public let hiddenStates: [Tensor]?
}

/// BERT (Devlin et al. 2019) as transformers' BertModel: embeddings -> N post-LN layers ->
/// optional tanh pooler over [CLS]. Parameter names are BertModel's state-dict keys
/// (`embeddings.*`, `encoder.layer.N.*`, `pooler.dense.*`).
public final class BertModel: Module {
    public let config: BertConfig
    public let embeddings: BertEmbeddings
    public let layers: [BertLayer]
    /// pooler.dense; nil for checkpoints saved without a pooler.
    public private(set) var poolerDense: Linear?

    public init(config: BertConfig, withPooler: Bool = true) {
        self.config = config
        embeddings = BertEmbeddings(config: config)
        layers = (0..<config.numHiddenLayers).map { _ in BertLayer(config: config) }
        poolerDense = withPooler ? Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize) : nil
    }

    /// - skipPadding: run the layers on the batch's real tokens only (`PackedTokens`) and put the
    ///   result back in the (B·T, C) layout with zeros at padding positions (also in
    ///   `hiddenStates`). The states at real tokens are the padded computation's (padding keys
    ///   get exactly zero attention either way); only those at padding positions differ. A
    ///   batch without padding is computed identically either way, dropout masks included.
    public func callAsFunction(_ batch: TokenBatch, training: Bool = false, stream: inout RandomStream,
                               outputHiddenStates: Bool = false, skipPadding: Bool = false) -> BertOutput {
        let rows = batch.batchSize * batch.sequenceLength
        let packed = skipPadding && batch.tokenCount < rows ? batch.packed : nil
        var hidden: Tensor, layout: AttentionLayout
        if let packed {
            hidden = embeddings(inputIDs: packed.inputIDs, tokenTypeIDs: packed.tokenTypeIDs, positionIDs: packed.positionIDs,
                                training: training, stream: &stream)
            layout = .packed(sequenceLengths: packed.sequenceLengths)
        } else {
            hidden = embeddings(batch, training: training, stream: &stream)
            layout = .padded(batch: batch.batchSize, additiveMask: batch.additiveMask)
        }
        // (N, C) packed rows -> (B·T, C), zeros at padding
        func padded(_ x: Tensor) -> Tensor { packed.map { scatterRows(x, to: $0.paddedRows, count: rows) } ?? x }
        var states: [Tensor]? = outputHiddenStates ? [padded(hidden)] : nil
        for layer in layers {
            hidden = layer(hidden, layout: layout, training: training, stream: &stream)
            states?.append(padded(hidden))
        }
        let last = padded(hidden)
        let shaped = last.reshaped([batch.batchSize, batch.sequenceLength, config.hiddenSize])
        var pooled: Tensor?
        if let poolerDense {
            // the pooler: a dense layer and tanh over the first token ([CLS])
            let first = selectTokens(last, positions: Array(repeating: 0, count: batch.batchSize), batch: batch.batchSize)
            pooled = tanh(poolerDense(first))
        }
        return BertOutput(lastHiddenState: shaped, pooledOutput: pooled, hiddenStates: states)
    }

    /// Inference without dropout and without a graph (`skipPadding` as in `callAsFunction`).
    public func encode(_ batch: TokenBatch, outputHiddenStates: Bool = false, skipPadding: Bool = false) -> BertOutput {
        var unused = RandomStream(key: 0)
        return Autograd.noGrad {
            self(batch, training: false, stream: &unused, outputHiddenStates: outputHiddenStates, skipPadding: skipPadding)
        }
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        var all = prefixed("embeddings", embeddings.namedParameters)
        for (i, layer) in layers.enumerated() { all += prefixed("encoder.layer.\(i)", layer.namedParameters) }
        if let poolerDense { all += prefixed("pooler.dense", poolerDense.namedParameters) }
        return all
    }

    /// transformers' _init_weights (`WeightInitialization`), and the padding row of the word
    /// embeddings zeroed as nn.Embedding's padding_idx does.
    public func initializeWeights(stream: inout RandomStream) {
        WeightInitialization.apply(to: namedParameters, initializerRange: config.initializerRange, stream: &stream)
        let pad = config.padTokenID, c = config.hiddenSize
        if pad >= 0 && pad < config.vocabSize {
            (embeddings.wordEmbeddings.weight.data + pad * c).update(repeating: 0, count: c)
        }
    }
}
