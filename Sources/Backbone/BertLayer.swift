import Tensor

/// One post-LN encoder layer of the paper:
///   h1 = LayerNorm(x + dropout(attention.output.dense(selfAttention(x))))
///   h2 = LayerNorm(h1 + dropout(output.dense(act(intermediate.dense(h1)))))
/// Parameter names follow transformers' BertLayer: attention.self.{query,key,value},
/// attention.output.{dense,LayerNorm}, intermediate.dense, output.{dense,LayerNorm}.
public final class BertLayer: Module {
    public let query: Linear, key: Linear, value: Linear
    public let attentionOutputDense: Linear
    public let attentionOutputLayerNorm: LayerNorm
    public let intermediateDense: Linear
    public let outputDense: Linear
    public let outputLayerNorm: LayerNorm
    let heads: Int
    let activation: BertConfig.GELUOrReLU
    let hiddenDropout: Float, attentionDropout: Float

    public init(config: BertConfig) {
        let c = config.hiddenSize
        query = Linear(inFeatures: c, outFeatures: c)
        key = Linear(inFeatures: c, outFeatures: c)
        value = Linear(inFeatures: c, outFeatures: c)
        attentionOutputDense = Linear(inFeatures: c, outFeatures: c)
        attentionOutputLayerNorm = LayerNorm(channels: c, eps: config.layerNormEps)
        intermediateDense = Linear(inFeatures: c, outFeatures: config.intermediateSize)
        outputDense = Linear(inFeatures: config.intermediateSize, outFeatures: c)
        outputLayerNorm = LayerNorm(channels: c, eps: config.layerNormEps)
        heads = config.numAttentionHeads
        activation = config.hiddenAct
        hiddenDropout = config.hiddenDropoutProb
        attentionDropout = config.attentionProbsDropoutProb
    }

    /// x (rows, C) -> (rows, C): rows are B·T padded tokens or N packed ones, as `layout` says.
    public func callAsFunction(_ x: Tensor, layout: AttentionLayout, training: Bool, stream: inout RandomStream) -> Tensor {
        // the query, key and value projections as one GEMM, (rows, 3C); then self-attention over
        // all heads, within each sequence, with attention-probability dropout
        let qkv = concatenatedLinear(x, [query, key, value])
        let context = attention(qkv: qkv, layout: layout, heads: heads,
                                dropout: attentionDropout, training: training, stream: &stream)
        // project, then dropout, residual and LayerNorm (one fused op)
        let h1 = dropoutAddLayerNorm(attentionOutputDense(context), probability: hiddenDropout, training: training, stream: &stream,
                                     residual: x, gamma: attentionOutputLayerNorm.weight, beta: attentionOutputLayerNorm.bias,
                                     eps: attentionOutputLayerNorm.eps)
        // feed-forward: expand, activate, project back, dropout, residual, LayerNorm
        let expanded = intermediateDense(h1)
        // (GELU fused into the projection: its output is recomputed in the backward, not kept)
        let activatedAndProjected: Tensor
        switch activation {
        case .gelu: activatedAndProjected = geluLinear(expanded, kind: .erf, weight: outputDense.weight, bias: outputDense.bias)
        case .geluNew: activatedAndProjected = geluLinear(expanded, kind: .tanh, weight: outputDense.weight, bias: outputDense.bias)
        case .relu: activatedAndProjected = outputDense(relu(expanded))
        }
        return dropoutAddLayerNorm(activatedAndProjected, probability: hiddenDropout, training: training, stream: &stream,
                                   residual: h1, gamma: outputLayerNorm.weight, beta: outputLayerNorm.bias, eps: outputLayerNorm.eps)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("attention.self.query", query.namedParameters)
            + prefixed("attention.self.key", key.namedParameters)
            + prefixed("attention.self.value", value.namedParameters)
            + prefixed("attention.output.dense", attentionOutputDense.namedParameters)
            + prefixed("attention.output.LayerNorm", attentionOutputLayerNorm.namedParameters)
            + prefixed("intermediate.dense", intermediateDense.namedParameters)
            + prefixed("output.dense", outputDense.namedParameters)
            + prefixed("output.LayerNorm", outputLayerNorm.namedParameters)
    }
}
