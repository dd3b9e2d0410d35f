import Backbone
import Foundation
import Heads
import Tasks
import Tensor
import Tokenizers
import TaskFile

/// A fine-tuned checkpoint ready to answer raw inputs: the model, its tokenizer and the task kind
/// that turns inputs (one JSON object each, the lines of `bertkit predict`) into features and
/// the head's outputs back into answers. `bertkit predict` and `bertkit serve` use it; the server
/// encodes many requests' inputs, runs their features as one forward pass (`run`) and describes
/// each request's answers from its own slice of the outputs.
public final class ServableModel {
    public let folder: ModelFolder
    /// The head's registered name (`sequence-classification`, ...) and its transformers class.
    public let head: String
    public let architecture: String
    public let taskKind: String
    /// Class names in index order (empty for span extraction).
    public let labels: [String]
    /// Tokens per feature at most (longer inputs are truncated, or windowed for NER and QA).
    public let maxSeqLength: Int
    public let spec: TaskSpec
    public let model: TaskModel
    public let tokenizer: BertTokenizer
    let kind: TaskKind

    init(folder: ModelFolder, head: String, taskKind: String, labels: [String], spec: TaskSpec,
         model: TaskModel, tokenizer: BertTokenizer, kind: TaskKind) {
        self.folder = folder
        self.head = head
        self.architecture = model.head.architecture
        self.taskKind = taskKind
        self.labels = labels
        self.maxSeqLength = spec.training.maxSeqLength
        self.spec = spec
        self.model = model
        self.tokenizer = tokenizer
        self.kind = kind
    }

    /// Loads a checkpoint folder written by `bertkit run` (its best/ or last/, with bertkit.json).
    public static func load(_ url: URL, warn: @escaping (String) -> Void = standardErrorWarning) throws -> ServableModel {
        let folder = ModelFolder(url)
        let manifestURL = folder.url.appendingPathComponent("bertkit.json")
        guard let data = try? Data(contentsOf: manifestURL) else {
            throw CLIError("\(manifestURL.path): missing; predict needs a checkpoint written by `bertkit run` (its best/ or last/ folder)")
        }
        let manifest = try JSONDecoder().decode(CheckpointStore.Manifest.self, from: data)
        let descriptor = try HeadRegistry.descriptor(named: manifest.head)
        let tokenizer = try BertTokenizer(modelFolder: folder.url)
        var spec = TaskSpec(name: manifest.task, head: manifest.head, headConfig: manifest.headConfig,
                            data: DataSpec(format: .jsonl), model: folder.url)
        spec.training.maxSeqLength = manifest.maxSeqLength
        if let stride = manifest.docStride { spec.training.docStride = stride }
        if let length = manifest.maxAnswerLength { spec.training.maxAnswerLength = length }
        if let size = manifest.nBestSize { spec.training.nBestSize = size }
        let kind = try TaskKindRegistry.make(descriptor.taskKind, context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: manifest.labels, warn: warn))
        var unused = RandomStream(key: 0)
        let model = try TaskModel.load(from: folder, descriptor: descriptor, labels: manifest.labels, options: manifest.headConfig, stream: &unused, warn: warn)
        return ServableModel(folder: folder, head: manifest.head, taskKind: descriptor.taskKind, labels: manifest.labels,
                             spec: spec, model: model, tokenizer: tokenizer, kind: kind)
    }

    /// The features of some inputs, in input order (NER and QA may make several per input).
    /// Throws, naming the field, on an input the task kind cannot read.
    public func features(for inputs: [JSONValue]) throws -> [EncodedFeature] {
        try kind.predictionFeatures(for: inputs)
    }

    /// The head's outputs for features, in feature order, computed in length-sorted batches of
    /// at most `batchSize` features.
    public func run(_ features: [EncodedFeature], batchSize: Int) throws -> [FeatureOutput] {
        try Predictor(model: model, padID: Int32(tokenizer.padId), batchSize: batchSize).run(features).outputs
    }

    /// One JSON object (as text) per input, from the outputs of exactly that input's features.
    public func describe(_ inputs: [JSONValue], outputs: [FeatureOutput]) throws -> [String] {
        try kind.describePredictions(for: inputs, outputs: outputs, head: model.head)
    }
}
