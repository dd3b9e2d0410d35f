import Foundation
import Backbone
import Tensor

/// A backbone with a head: the model a task trains. Parameter names are transformers'
/// BertFor* layout (`bert.embeddings...`, `classifier.weight`), so a saved folder loads in
/// transformers and AdamW's no-decay rule reads the same names.
public final class TaskModel: Module {
    public let backbone: BertModel
    public let head: Head
    /// Lets the backbone skip padding when the head does not read it (`Head.readsPaddingPositions`).
    /// Per-token outputs at padding positions are then computed from zero states; switch it off
    /// to get transformers' values there too.
    public var skipsPadding = true

    public init(backbone: BertModel, head: Head) {
        self.backbone = backbone
        self.head = head
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("bert", backbone.namedParameters) + head.namedParameters
    }

    /// The head's outputs for a batch.
    public func callAsFunction(_ batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
        let features = backbone(batch, training: training, stream: &stream,
                                skipPadding: skipsPadding && !head.readsPaddingPositions)
        return head(features, batch: batch, training: training, stream: &stream)
    }

    /// Inference: no dropout, no graph.
    public func predict(_ batch: TokenBatch) -> HeadOutput {
        var unused = RandomStream(key: 0)
        return Autograd.noGrad { self(batch, training: false, stream: &unused) }
    }

    /// Loads a model folder. A BertFor* checkpoint whose architecture matches `descriptor` brings
    /// its head's weights; a plain BertModel checkpoint gets a new head initialised as
    /// transformers does (`WeightInitialization`) from `stream`.
    public static func load(from folder: ModelFolder, descriptor: HeadDescriptor, labels: [String],
                            options: [String: JSONValue] = [:], stream: inout RandomStream,
                            warn: (String) -> Void = standardErrorWarning) throws -> TaskModel {
        let checked = try folder.configAndWeights()
        var config = checked.config
        let loader = checked.loader
        let hasPooler = loader.fileNames["pooler.dense.weight"] != nil
        // A checkpoint without a pooler (transformers' token-classification and QA models) is
        // only a problem for a head that reads the pooled output, which is refused below.
        let labelNames = labels.isEmpty ? (config.labelNames ?? []) : labels
        if !labelNames.isEmpty { config.id2label = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($0.offset, $0.element) }) }
        config.architectures = [descriptor.architecture]
        let backbone = BertModel(config: config, withPooler: hasPooler)
        let head = try descriptor.make(HeadContext(config: config, labels: labelNames, options: options, backbone: backbone))
        if head.readsPooledOutput && !hasPooler {
            throw HeadError.invalidConfig(head: descriptor.name, "it reads the pooled output, which needs a checkpoint with pooler.dense.*; \(folder.weightsURL.path) has none")
        }
        let model = TaskModel(backbone: backbone, head: head)
        // The head's tensors are optional (a fresh head on a pre-trained backbone); the
        // backbone's are not. Tensors of another head or of pre-training (cls.*) are ignored.
        // A head tensor the file holds only under one of its aliases is read from there.
        let headNames = Set(head.namedParameters.map(\.name))
        let parameters = model.namedParameters.map { parameter -> (name: String, tensor: Tensor) in
            let name = parameter.name.hasPrefix("bert.") ? String(parameter.name.dropFirst(5)) : parameter.name
            guard loader.fileNames[name] == nil,
                  let alias = head.checkpointAliases[name]?.first(where: { loader.fileNames[$0] != nil }) else { return (name, parameter.tensor) }
            return (alias, parameter.tensor)
        }
        let missingHead = try loader.load(parameters,
                                          optional: { headNames.contains($0) },
                                          acceptUnexpected: { !$0.hasPrefix("embeddings.") && !$0.hasPrefix("encoder.") && !$0.hasPrefix("pooler.") })
        if !missingHead.isEmpty {
            if missingHead.count != headNames.count {
                throw BackboneError.checkpointMismatch(path: folder.weightsURL.path, missing: missingHead, unexpected: [], misshapen: [])
            }
            if head.expectsPretrainedWeights {
                warn("\(folder.weightsURL.path) has no \(missingHead.sorted().joined(separator: ", ")): head `\(descriptor.name)` starts fresh, initialised as transformers does, and predicts noise until trained")
            }
            WeightInitialization.apply(to: head.namedParameters, initializerRange: config.initializerRange, stream: &stream)
        }
        return model
    }

    /// Writes config.json (architectures and id2label for transformers) and model.safetensors in
    /// BertFor* layout into `folder` (which must exist).
    public func save(to folder: URL) throws {
        var config = backbone.config
        config.architectures = [head.architecture]
        try config.write(to: folder.appendingPathComponent("config.json"))
        try SafeTensors.write(namedParameters, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
    }
}
