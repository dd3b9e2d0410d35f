import Tensor

/// word + position + token-type embeddings, then LayerNorm and dropout.
/// Parameters: word_embeddings.weight (V, C), position_embeddings.weight (P, C),
/// token_type_embeddings.weight (2, C), LayerNorm.weight / .bias (C).
public final class BertEmbeddings: Module {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    let dropout: Dropout

    public init(config: BertConfig) {
        wordEmbeddings = Embedding(count: config.vocabSize, dimension: config.hiddenSize, paddingIndex: Int32(config.padTokenID))
        positionEmbeddings = Embedding(count: config.maxPositionEmbeddings, dimension: config.hiddenSize)
        tokenTypeEmbeddings = Embedding(count: config.typeVocabSize, dimension: config.hiddenSize)
        layerNorm = LayerNorm(channels: config.hiddenSize, eps: config.layerNormEps)
        dropout = Dropout(probability: config.hiddenDropoutProb)
    }

    /// batch (B, T) ids -> (B·T, C)
    public func callAsFunction(_ batch: TokenBatch, training: Bool, stream: inout RandomStream) -> Tensor {
        self(inputIDs: batch.inputIDs, tokenTypeIDs: batch.tokenTypeIDs, positionIDs: batch.positionIDs,
             training: training, stream: &stream)
    }

    /// N tokens' ids -> (N, C)
    public func callAsFunction(inputIDs: [Int32], tokenTypeIDs: [Int32], positionIDs: [Int32],
                               training: Bool, stream: inout RandomStream) -> Tensor {
        // compute the input embeddings, then layer normalization and dropout
        let words = wordEmbeddings(inputIDs)
        let positions = positionEmbeddings(positionIDs)
        let types = tokenTypeEmbeddings(tokenTypeIDs)
        let sum = add(add(words, types), positions)
        return dropout(layerNorm(sum), training: training, stream: &stream)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("word_embeddings", wordEmbeddings.namedParameters)
            + prefixed("position_embeddings", positionEmbeddings.namedParameters)
            + prefixed("token_type_embeddings", tokenTypeEmbeddings.namedParameters)
            + prefixed("LayerNorm", layerNorm.namedParameters)
    }
}
