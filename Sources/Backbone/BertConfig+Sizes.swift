/// The sizes a config.json asks for, checked before anything is allocated from them.
///
/// A config is a small text file that decides how much memory the model takes: `vocab_size`
/// 10^12 would ask the allocator for terabytes and abort the process. Reading a config checks
/// what the config alone can tell (`checkSizes`); loading a model folder checks the sizes against
/// the checkpoint too (`checkSizes(against:configPath:)`), before the model is built.
extension BertConfig {
    /// Token, position and token-type ids are Int32 everywhere (TokenBatch, the embedding
    /// lookup): a table with more rows could not be indexed.
    public static let largestIDCount = Int(Int32.max)

    /// Whether the token-type table has a row for the second text of a pair (type id 1): a
    /// model with type_vocab_size 1 reads single texts only, and a pair would index past it.
    public var readsTextPairs: Bool { typeVocabSize >= 2 }

    /// The backbone's parameter count (BertModel's tensors: the embeddings, every layer, and the
    /// pooler when `withPooler`), or nil when it does not fit an Int.
    public func parameterCount(withPooler: Bool = true) -> Int? {
        let c = hiddenSize, i = intermediateSize
        // embeddings: word (V, C), position (P, C), token type (T, C), LayerNorm 2C
        let embeddings = checkedSum([checkedProduct([vocabSize, c]), checkedProduct([maxPositionEmbeddings, c]),
                                     checkedProduct([typeVocabSize, c]), checkedProduct([2, c])])
        // a layer: query, key, value and attention output (C, C) + C each, two LayerNorms 2C
        // each, intermediate (I, C) + I, output (C, I) + C
        let layer = checkedSum([checkedProduct([4, c, c]), checkedProduct([2, i, c]), checkedProduct([9, c]), i])
        let pooler = withPooler ? checkedSum([checkedProduct([c, c]), c]) : 0
        return checkedSum([embeddings, layer.flatMap { checkedProduct([numHiddenLayers, $0]) }, pooler])
    }

    /// What the config alone can tell: tables that Int32 ids can index, a padding id inside the
    /// vocabulary, and a model whose bytes can be counted (every tensor's byte count then fits).
    func checkSizes(path: String) throws {
        for (key, count) in [("vocab_size", vocabSize), ("max_position_embeddings", maxPositionEmbeddings),
                             ("type_vocab_size", typeVocabSize)] where count > Self.largestIDCount {
            throw BackboneError.invalidConfig(path, key: key, "\(count) rows is more than 32-bit ids can index "
                                              + "(at most \(Self.largestIDCount))")
        }
        guard padTokenID < vocabSize else {
            throw BackboneError.invalidConfig(path, key: "pad_token_id", "\(padTokenID) is outside the vocabulary (vocab_size \(vocabSize))")
        }
        guard let count = parameterCount(), count.multipliedReportingOverflow(by: MemoryLayout<Float>.size).overflow == false else {
            throw BackboneError.invalidConfig(path, key: nil, "the model it describes (vocab_size \(vocabSize), hidden_size \(hiddenSize), "
                                              + "num_hidden_layers \(numHiddenLayers), intermediate_size \(intermediateSize), "
                                              + "max_position_embeddings \(maxPositionEmbeddings)) has more bytes than a 64-bit count holds")
        }
    }
}

/// The product of `factors`, or nil if a factor is nil or the product overflows Int.
func checkedProduct(_ factors: [Int?]) -> Int? {
    var product = 1
    for factor in factors {
        guard let factor else { return nil }
        let (next, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        product = next
    }
    return product
}

/// The sum of `terms`, or nil if a term is nil or the sum overflows Int.
func checkedSum(_ terms: [Int?]) -> Int? {
    var sum = 0
    for term in terms {
        guard let term else { return nil }
        let (next, overflow) = sum.addingReportingOverflow(term)
        if overflow { return nil }
        sum = next
    }
    return sum
}
