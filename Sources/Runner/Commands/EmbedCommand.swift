import ArgumentParser
import Backbone
import Foundation
import Tensor
import Tokenizers

/// `bertkit embed`: sentence embeddings, one JSON line per input line.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentence embeddings of JSON lines ({\"text\": ...}) or plain lines.",
        discussion: """
            Writes {"embedding": [...]} per non-empty input line. By default the vectors are the \
            mean of the token states over the attention mask, L2-normalised (sentence-transformers' \
            recipe for all-MiniLM-L6-v2). Lines are encoded in batches padded to their longest.
            """)

    @Option(help: "Model folder (config.json, model.safetensors, vocab.txt or tokenizer.json): any BERT checkpoint, a fine-tuned one included (its head is not used).")
    var model: String

    @Option(help: "Input file, or - for standard input (default: -). A line starting with { is read as JSON with a \"text\" key, any other line as the text itself.")
    var input: String = "-"

    @Option(help: "Pooling: mean, cls or pooler (default: mean).")
    var pooling: SentenceEmbedding.Pooling = .mean

    @Flag(help: "Do not L2-normalise the vectors.")
    var noNormalize = false

    @Option(help: "Sentences per batch (default: 32).")
    var batchSize: Int = 32

    @Option(help: "Tokens per sentence at most; longer texts are truncated (default: the model's max_position_embeddings).")
    var maxLength: Int?

    @Option(help: "fp32 or bf16: what the GEMMs compute in (default: fp32).")
    var precision: Precision = .fp32

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    private struct TextLine: Decodable { var text: String }

    func run() throws {
        if precision == .bf16 { try requireBF16(for: "--precision bf16") }
        let folder = ModelFolder(URL(fileURLWithPath: model))
        let bert = try BertModel.load(from: folder)
        if pooling == .pooler && bert.poolerDense == nil {
            throw CLIError("\(model): the checkpoint has no pooler; use --pooling mean or cls")
        }
        let tokenizer = try BertTokenizer(modelFolder: folder.url)
        try folder.checkVocabulary(of: tokenizer, against: bert.config)
        let limit = min(maxLength ?? bert.config.maxPositionEmbeddings, bert.config.maxPositionEmbeddings)
        let output = LineOutput()
        defer { output.flush() }
        var pending: [String] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            let encodings = try pending.map { text in
                try tokenizer.encode(.text(text), truncation: Truncation(maxLength: limit, strategy: .longestFirst))[0]
            }
            let batch = TokenBatch(sequences: encodings.map { $0.ids.map(Int32.init) }, padID: Int32(tokenizer.padId))
            // mean, [CLS] and the pooler read real tokens only, so the padding need not be computed
            let vectors = SentenceEmbedding.vectors(bert.encode(batch, skipPadding: true), batch: batch, pooling: pooling, normalize: !noNormalize)
            for v in vectors { output.write("{\"embedding\":[" + v.map { "\($0)" }.joined(separator: ",") + "]}") }
            pending.removeAll()
        }
        let source = try LineInput(path: input)
        // the weights never change here: their bf16 copies are made once for the whole input
        try precision.run { try BF16Weights.reusingConversions {
            try source.forEachLine { number, line in
                if line.trimmingCharacters(in: .whitespaces).isEmpty { return }
                if line.first == "{" {
                    guard let parsed = try? JSONDecoder().decode(TextLine.self, from: Data(line.utf8)) else {
                        throw CLIError("\(source.name):\(number): expected a JSON object with a string \"text\"")
                    }
                    pending.append(parsed.text)
                } else {
                    pending.append(line)
                }
                if pending.count == batchSize { try flush() }
            }
            try flush()
        } }
    }
}

extension SentenceEmbedding.Pooling: ExpressibleByArgument {}
