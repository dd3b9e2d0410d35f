import Backbone
import Foundation
import Heads
import Tensor

// A checkpoint folder transformers wrote (save_pretrained), read without bertkit.json: everything
// BertKit needs is in config.json, as transformers itself reads it.
//
// - the head: the registered head whose `architecture` is the first of `architectures`
//   (BertForSequenceClassification -> sequence-classification, ...; a plugin's own architecture
//   works the same way);
// - its options: a head that offers `pooling` pools with the tanh pooler, the function the
//   transformers checkpoint computes;
// - the labels: `id2label` in index order (without it, transformers' default: `num_labels`, else
//   2, named LABEL_i);
// - the length limit: `max_position_embeddings`, or what the caller gives; span extraction
//   takes transformers' question-answering defaults instead (`QuestionAnsweringDefaults`), each
//   capped by what the model can read.

extension CheckpointDescription {
    /// transformers' question-answering pipeline and run_qa.py: windows of 384 tokens sharing 128
    /// (at most half a window), answers of at most 30 tokens, 20 candidates per question.
    enum QuestionAnsweringDefaults {
        static let maxSeqLength = 384
        static let docStride = 128
        static let maxAnswerLength = 30
        static let nBestSize = 20
    }

    init(transformersConfigOf folder: ModelFolder, maxSeqLength: Int?) throws {
        try folder.validate()
        let config = try folder.config()
        let path = folder.configURL.path
        let known = HeadRegistry.all.sorted { $0.architecture < $1.architecture }
            .map { "\($0.architecture) (\($0.name))" }.joined(separator: ", ")
        guard case .array(let names)? = config.raw["architectures"], case .string(let architecture)? = names.first else {
            throw CLIError("\(path): key `architectures` is missing, so nothing says which head the checkpoint has "
                           + "(and the folder has no bertkit.json); transformers' save_pretrained writes it, e.g. "
                           + "\"architectures\": [\"BertForSequenceClassification\"]; BertKit has heads for \(known)")
        }
        guard let head = HeadRegistry.descriptor(forArchitecture: architecture) else {
            let backbone = architecture == "BertModel"
                ? " (BertModel is a backbone without a head: `bertkit embed` reads it, and a task file can fine-tune it)" : ""
            throw CLIError("\(path): architecture `\(architecture)` has no head in BertKit\(backbone); "
                           + "BertKit has heads for \(known)")
        }
        source = .transformersConfig
        task = folder.url.lastPathComponent
        self.head = head
        headConfig = head.optionKeys.contains("pooling") ? ["pooling": .string("pooler")] : [:]
        labels = try Self.distinct(try Self.labels(of: config, path: path, weights: try folder.weights()), key: "id2label", path: path)

        let limit = config.maxPositionEmbeddings
        if head.taskKind == "span-extraction" {
            let length = maxSeqLength ?? min(QuestionAnsweringDefaults.maxSeqLength, limit)
            self.maxSeqLength = length
            docStride = min(QuestionAnsweringDefaults.docStride, length / 2)
            maxAnswerLength = QuestionAnsweringDefaults.maxAnswerLength
            nBestSize = QuestionAnsweringDefaults.nBestSize
        } else {
            self.maxSeqLength = maxSeqLength ?? limit
        }
    }

    /// id2label in index order; its indices must be 0..<count.
    static func labels(of config: BertConfig, path: String, weights: SafeTensorsFile) throws -> [String] {
        guard let id2label = config.id2label, !id2label.isEmpty else {
            let count = config.numLabels ?? 2
            // the checkpoint transformers saved holds the classifier of those classes, at least
            // num_labels x hidden_size weights: a count past that is refused before any name is made
            let (classifier, overflow) = count.multipliedReportingOverflow(by: config.hiddenSize)
            guard !overflow, classifier <= weights.totalElementCount else {
                throw CLIError("\(path): key `num_labels`: \(count) classes need a classifier of \(count) x \(config.hiddenSize) weights, "
                               + "more than the \(weights.totalElementCount) values \(weights.path) holds")
            }
            return (0..<count).map { "LABEL_\($0)" }
        }
        let indices = id2label.keys.sorted()
        guard indices == Array(0..<id2label.count) else {
            throw CLIError("\(path): key `id2label`: the indices must be 0..<\(id2label.count), found \(indices.map(String.init).joined(separator: ", "))")
        }
        return indices.map { id2label[$0]! }
    }
}
