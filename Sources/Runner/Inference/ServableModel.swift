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
    /// Where the head, labels and limits came from: bertkit.json, or transformers' config.json.
    public internal(set) var source: CheckpointDescription.Source = .bertkitManifest
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

    /// Loads a checkpoint folder: one written by `bertkit run` (its best/ or last/, with
    /// bertkit.json), or one transformers wrote (config.json's architectures and id2label,
    /// `CheckpointDescription`).
    public static func load(_ url: URL, warn: @escaping (String) -> Void = standardErrorWarning) throws -> ServableModel {
        try load(url, maxSeqLength: nil, warn: warn)
    }

    /// As `load(_:warn:)`, with the length limit `maxSeqLength` instead of the checkpoint's (at
    /// most the model's max_position_embeddings), and for fill-mask `topK` tokens per [MASK]
    /// (default 5, the fill-mask pipeline's).
    public static func load(_ url: URL, maxSeqLength: Int?, topK: Int? = nil, warn: @escaping (String) -> Void = standardErrorWarning) throws -> ServableModel {
        let folder = ModelFolder(url)
        let description = try CheckpointDescription(of: folder, maxSeqLength: maxSeqLength)
        let config = try folder.config()
        let limit = config.maxPositionEmbeddings
        if let maxSeqLength, maxSeqLength > limit {
            throw CLIError("max_seq_length \(maxSeqLength) is more than the model reads: max_position_embeddings is \(limit) in \(folder.configURL.path)")
        }
        // bertkit.json's own limit: longer features would index past the position embeddings
        if description.maxSeqLength > limit {
            throw CLIError("\(folder.url.appendingPathComponent(description.source.rawValue).path): max_seq_length \(description.maxSeqLength) "
                           + "is more than the model reads: max_position_embeddings is \(limit) in \(folder.configURL.path)")
        }
        let descriptor = description.head
        let tokenizer = try BertTokenizer(modelFolder: folder.url)
        try folder.checkVocabulary(of: tokenizer, against: config)
        var spec = TaskSpec(name: description.task, head: descriptor.name, headConfig: description.headConfig,
                            data: DataSpec(format: .jsonl), model: folder.url)
        spec.training.maxSeqLength = description.maxSeqLength
        if let stride = description.docStride { spec.training.docStride = stride }
        if let length = description.maxAnswerLength { spec.training.maxAnswerLength = length }
        if let size = description.nBestSize { spec.training.nBestSize = size }
        if let topK { spec.training.topK = topK }
        let kind = try TaskKindRegistry.make(descriptor.taskKind, context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: description.labels,
                                                                                                          vocabularySize: config.vocabSize, warn: warn))
        // the kind keeps the labels its head has classes for (none for span extraction)
        let labels = kind.labels
        var unused = RandomStream(key: 0)
        let model = try TaskModel.load(from: folder, descriptor: descriptor, labels: labels, options: description.headConfig, stream: &unused, warn: warn)
        let servable = ServableModel(folder: folder, head: descriptor.name, taskKind: descriptor.taskKind, labels: labels,
                                     spec: spec, model: model, tokenizer: tokenizer, kind: kind)
        servable.source = description.source
        return servable
    }

    /// The text fields an input carries, as the task kind declares them (nil: its encoder checks).
    public var predictionFields: PredictionFields? { type(of: kind).predictionFields }

    /// The features of some inputs, in input order (NER and QA may make several per input).
    /// Throws, naming the field, on an input the task kind cannot read.
    public func features(for inputs: [JSONValue]) throws -> [EncodedFeature] {
        let features = try kind.predictionFeatures(for: inputs)
        // a pair would index past a one-row token-type table, a precondition failure mid-batch
        if !model.backbone.config.readsTextPairs, let pair = features.first(where: { $0.tokenTypeIDs.contains(1) }) {
            throw CLIError("input \(pair.exampleIndex + 1) is a text pair, but \(folder.configURL.path) has type_vocab_size "
                           + "\(model.backbone.config.typeVocabSize): the model reads single texts only")
        }
        return features
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

    /// Span extraction: the tokens consecutive windows of a context share, the longest answer
    /// in tokens and the candidates kept per question (nil for other task kinds).
    public var docStride: Int? { taskKind == "span-extraction" ? spec.training.docStride : nil }
    public var maxAnswerLength: Int? { taskKind == "span-extraction" ? spec.training.maxAnswerLength : nil }
    public var nBestSize: Int? { taskKind == "span-extraction" ? spec.training.nBestSize : nil }
}
