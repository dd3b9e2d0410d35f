import Foundation
import Tensor

/// A Hugging Face model folder: config.json, model.safetensors, vocab.txt or tokenizer.json,
/// tokenizer_config.json.
public struct ModelFolder {
    public let url: URL
    public init(_ url: URL) { self.url = url }

    public var configURL: URL { url.appendingPathComponent("config.json") }
    public var weightsURL: URL { url.appendingPathComponent("model.safetensors") }
    public var vocabURL: URL { url.appendingPathComponent("vocab.txt") }
    public var tokenizerConfigURL: URL { url.appendingPathComponent("tokenizer_config.json") }
    public var tokenizerJSONURL: URL { url.appendingPathComponent("tokenizer.json") }

    /// Checks that the folder and its config and weights exist.
    public func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackboneError.unreadableFile(url.path, "no such model folder")
        }
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw BackboneError.unreadableFile(configURL.path, "missing from the model folder")
        }
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw BackboneError.unreadableFile(weightsURL.path, "missing from the model folder" + missingWeightsHint)
        }
    }

    /// What the folder holds instead of model.safetensors, and how to get one.
    var missingWeightsHint: String {
        let has = { (name: String) in FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) }
        if has("pytorch_model.bin") || has("pytorch_model.bin.index.json") {
            // a pickle runs code when it is read; BertKit reads safetensors only
            return "; it has pytorch_model.bin, a pickle, which BertKit does not read: load it in transformers and save it "
                + "as safetensors with `model.save_pretrained(dir, safe_serialization=True)` (the default since "
                + "transformers 4.35; in transformers 5 `model.save_pretrained(dir)`)"
        }
        if has("model.safetensors.index.json") {
            return "; it has model.safetensors.index.json (sharded weights), which BertKit does not read: save it "
                + "in one file with `model.save_pretrained(dir, max_shard_size=\"100GB\")`"
        }
        return ""
    }

    public func config() throws -> BertConfig { try BertConfig(contentsOf: configURL) }

    public func weights() throws -> SafeTensorsFile { try SafeTensorsFile(contentsOf: weightsURL) }

    /// The folder checked, its config read, and the weights opened and checked against the
    /// config's sizes: what every model load does first, before it allocates the model.
    public func configAndWeights() throws -> (config: BertConfig, loader: ParameterLoader) {
        try validate()
        let config = try config()
        let loader = ParameterLoader(file: try weights())
        try config.checkSizes(against: loader, configPath: configURL.path)
        return (config, loader)
    }
}

extension BertModel {
    /// Loads a backbone from a model folder, whatever head the checkpoint carries (its head
    /// tensors and `cls.*` pre-training tensors are ignored). A checkpoint without a pooler loads
    /// with a warning on stderr and the model has none.
    public static func load(from folder: ModelFolder, warn: (String) -> Void = standardErrorWarning) throws -> BertModel {
        let (config, loader) = try folder.configAndWeights()
        let hasPooler = loader.fileNames["pooler.dense.weight"] != nil
        let model = BertModel(config: config, withPooler: hasPooler)
        if !hasPooler { warn("\(folder.weightsURL.path): no pooler (pooler.dense.*); pooled output unavailable") }
        try loader.load(model.namedParameters, acceptUnexpected: { !$0.hasPrefix("embeddings.") && !$0.hasPrefix("encoder.") && !$0.hasPrefix("pooler.") })
        return model
    }

    /// Writes config.json and model.safetensors (BertModel layout, no prefix) into `folder`.
    public func save(to folder: URL, prefix: String = "") throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try config.write(to: folder.appendingPathComponent("config.json"))
        try SafeTensors.write(prefixed(prefix, namedParameters), metadata: ["format": "pt"],
                              to: folder.appendingPathComponent("model.safetensors"))
    }
}

/// Prints "warning: ..." to stderr.
public func standardErrorWarning(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
