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
        abstract: "Predict with a fine-tuned checkpoint (a best/ or last/ folder) on JSON lines.",
        discussion: """
            Input per line, by task kind: classification {"text"[, "text_pair"]} -> {"label", "score", \
            "probabilities"}; token classification {"text"} -> {"entities": [{"type", "text", "start", "end", \
            "score"}], "words", "tags"} (offsets in code points, end exclusive); span extraction \
            {"question", "context"} -> {"answer", "start", "end", "score"} (start and end in Unicode code \
            points of the context, end exclusive; score = the answer's probability among the n-best). The \
            head, labels, max_seq_length (and doc_stride, max_answer_length, n_best_size) come from the \
            checkpoint's bertkit.json.
            """)

    @Option(help: "A checkpoint folder written by bertkit run (with bertkit.json).")
    var model: String

    @Option(help: "JSON lines input file, or - for standard input (default: -).")
    var input: String = "-"

    @Option(help: "Inputs per batch (default: 32).")
    var batchSize: Int = 32

    @Option(help: "fp32 or bf16: what the GEMMs compute in (default: fp32).")
    var precision: Precision = .fp32

    func run() throws {
        if precision == .bf16 { try requireBF16(for: "--precision bf16") }
        let servable = try ServableModel.load(URL(fileURLWithPath: model))
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
