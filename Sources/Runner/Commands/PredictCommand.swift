import ArgumentParser
import Backbone
import Foundation
import Heads
import Tasks
import Tensor
import Tokenizers
import TaskFile

/// `bertkit predict --model DIR`: a fine-tuned checkpoint on JSON lines.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a fine-tuned checkpoint (bertkit run's best/ or last/, or a folder transformers wrote) on JSON lines.",
        discussion: """
            Input per line, by task kind: classification {"text"[, "text_pair"]} -> {"label", "score", \
            "probabilities"}; token classification {"text"} -> {"entities": [{"type", "text", "start", "end", \
            "score"}], "words", "tags"} (offsets in code points, end exclusive); span extraction \
            {"question", "context"} -> {"answer", "start", "end", "score"} (start and end in Unicode code \
            points of the context, end exclusive; score = the answer's probability among the n-best); \
            masked language model (fill-mask) {"text"} with one or more [MASK] -> {"masks": [{"start", "end", \
            "tokens": [{"token", "token_str", "score", "sequence"}]}]}, the --top-k most likely tokens per \
            [MASK] as transformers' fill-mask pipeline gives them. \
            A folder bertkit run wrote: the head, labels, max_seq_length (and doc_stride, max_answer_length, \
            n_best_size) come from its bertkit.json. A folder transformers wrote (save_pretrained, no \
            bertkit.json): the head from config.json's architectures (BertForSequenceClassification, \
            BertForTokenClassification, BertForQuestionAnswering, or a registered head's own), the labels \
            from id2label, the length limit from max_position_embeddings (question answering: 384 tokens, \
            windows sharing 128, answers of at most 30 tokens, 20 candidates, each capped by what the model \
            reads), classification through the tanh pooler as transformers computes it, BertForMaskedLM as \
            fill-mask; the vocabulary from \
            vocab.txt or tokenizer.json, lower-casing and special tokens from tokenizer_config.json and \
            special_tokens_map.json. Weights are read from model.safetensors only (no pickles).
            """)

    @Option(help: "A checkpoint folder: bertkit run's best/ or last/ (with bertkit.json), or one transformers wrote (config.json with architectures, model.safetensors, vocab.txt or tokenizer.json).")
    var model: String

    @Option(help: "JSON lines input file, or - for standard input (default: -).")
    var input: String = "-"

    @Option(help: "Inputs per batch (default: 32).")
    var batchSize: Int = 32

    @Option(help: "fp32 or bf16: what the GEMMs compute in (default: fp32).")
    var precision: Precision = .fp32

    @Option(help: "Tokens per input at most; longer inputs are truncated, or windowed for token classification and question answering (default: the checkpoint's max_seq_length, else max_position_embeddings, 384 for question answering; at most max_position_embeddings).")
    var maxSeqLength: Int?

    @Option(help: "Fill-mask (a masked-LM checkpoint): the most likely tokens listed per [MASK] (default: 5).")
    var topK: Int = 5

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let maxSeqLength, maxSeqLength < 3 { throw ValidationError("--max-seq-length must be at least 3 ([CLS], a token, [SEP])") }
    }

    func run() throws {
        if precision == .bf16 { try requireBF16(for: "--precision bf16") }
        let servable = try ServableModel.load(URL(fileURLWithPath: model), maxSeqLength: maxSeqLength, topK: topK)
        let output = LineOutput()
        defer { output.flush() }
        var pending: [JSONValue] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            let outputs = try servable.run(try servable.features(for: pending), batchSize: batchSize)
            for line in try servable.describe(pending, outputs: outputs) { output.write(line) }
            pending.removeAll()
        }
        let source = try LineInput(path: input)
        // the weights never change here: their bf16 copies are made once for the whole input
        try precision.run { try BF16Weights.reusingConversions {
            try source.forEachLine { number, line in
                if line.trimmingCharacters(in: .whitespaces).isEmpty { return }
                guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)) else {
                    throw CLIError("\(source.name):\(number): not a JSON object")
                }
                pending.append(value)
                if pending.count == batchSize { try flush() }
            }
            try flush()
        } }
    }
}
