import Tensor

extension BertConfig {
    /// Refuses, before the model is built, a config that asks for sizes the checkpoint does not
    /// hold: the tables and the layer count by name, against the tensors that hold them, then the
    /// whole parameter count against the values in the file. `ParameterLoader.load` names every
    /// mismatch as well, but only once the model, as large as the config says, is allocated.
    public func checkSizes(against loader: ParameterLoader, configPath: String) throws {
        let weights = loader.file.path
        // (tensor, the key that sets its rows); every one of them has hidden_size columns
        let tables = [("embeddings.word_embeddings.weight", "vocab_size", vocabSize),
                      ("embeddings.position_embeddings.weight", "max_position_embeddings", maxPositionEmbeddings),
                      ("embeddings.token_type_embeddings.weight", "type_vocab_size", typeVocabSize),
                      ("encoder.layer.0.intermediate.dense.weight", "intermediate_size", intermediateSize)]
        for (name, key, rows) in tables {
            // a tensor the file lacks, or of another rank, is the loader's to name
            guard let fileName = loader.fileNames[name], let shape = try? loader.file.info(named: fileName).shape,
                  shape.count == 2 else { continue }
            if shape[0] != rows {
                throw BackboneError.invalidConfig(configPath, key: key, "\(rows) does not match \(weights): its \(fileName) is \(shape)")
            }
            if shape[1] != hiddenSize {
                throw BackboneError.invalidConfig(configPath, key: "hidden_size", "\(hiddenSize) does not match \(weights): its \(fileName) is \(shape)")
            }
        }
        let layers = Set(loader.fileNames.keys.compactMap(Self.layerIndex)).count
        if numHiddenLayers > layers {
            throw BackboneError.invalidConfig(configPath, key: "num_hidden_layers",
                                              "\(numHiddenLayers) layers, but \(weights) holds tensors of \(layers) (encoder.layer.N.*)")
        }
        // A model a little larger than the file (a tensor missing or misshapen) is built, and the
        // loader names each tensor; one more than twice the file's values is refused here, since
        // building it takes memory out of proportion to the file (the count fits: checkSizes).
        let held = loader.file.totalElementCount
        let needed = parameterCount(withPooler: loader.fileNames["pooler.dense.weight"] != nil)
        guard let needed, needed <= 2 * held else {
            let count = needed.map(String.init) ?? "more than 2^63"
            throw BackboneError.invalidConfig(configPath, key: nil, "the model it describes has \(count) parameters, "
                                              + "more than twice the \(held) values \(weights) holds")
        }
    }

    /// N of a canonical name `encoder.layer.N.…`.
    static func layerIndex(_ name: String) -> Int? {
        let prefix = "encoder.layer."
        guard name.hasPrefix(prefix) else { return nil }
        return Int(name.dropFirst(prefix.count).prefix { $0 != "." })
    }
}
