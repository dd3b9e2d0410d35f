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
        let folder = ModelFolder(URL(fileURLWithPath: model))
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
        let kind = try TaskKindRegistry.make(descriptor.taskKind, context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: manifest.labels, warn: standardErrorWarning))
        var unused = RandomStream(key: 0)
        let model = try TaskModel.load(from: folder, descriptor: descriptor, labels: manifest.labels, options: manifest.headConfig, stream: &unused)
        let predictor = Predictor(model: model, padID: Int32(tokenizer.padId), batchSize: batchSize)
        let output = LineOutput()
        defer { output.flush() }
        var pending: [JSONValue] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            let features = try kind.predictionFeatures(for: pending)
            let outputs = try predictor.run(features).outputs
            for line in try kind.describePredictions(for: pending, outputs: outputs, head: model.head) { output.write(line) }
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
