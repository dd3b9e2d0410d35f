import Backbone
import Foundation
import Heads
import Tasks
import Tensor
import Tokenizers
import TaskFile

/// Runs one task of a task file end to end: data -> features -> model -> training -> final
/// evaluation -> files under `<output>/<task>/`.
struct TaskRunner {
    let spec: TaskSpec
    let output: URL
    var resume = false
    var evalOnly = false
    /// For tests: behave as if Ctrl-C came after this many optimizer steps.
    var interruptAfterSteps: Int?

    struct Result {
        var directory: URL
        var outcome: String
        var finalMetrics: [String: [String: Double]]
    }

    /// The task in its precision (`precision:`): every GEMM of its training and evaluation.
    func run() throws -> Result {
        try spec.training.precision.run { try runInPrecision() }
    }

    private func runInPrecision() throws -> Result {
        let started = now()
        let descriptor = try HeadRegistry.descriptor(named: spec.head)
        let directory = output.appendingPathComponent(spec.name)
        let store0 = CheckpointStore(taskDirectory: directory, sourceModel: spec.model, spec: spec, labels: [])
        // Resume loads the weights from last/; otherwise the task's model folder.
        let modelFolder = ModelFolder(resume ? store0.last : spec.model)
        if resume { try AtomicDirectory.recover(final: store0.last) }
        let tokenizer = try BertTokenizer(modelFolder: modelFolder.url)
        let config = try modelFolder.config()
        let checkpointLabels = config.architectures.contains(descriptor.architecture) ? config.labelNames : nil
        let warn: (String) -> Void = { standardErrorWarning($0) }
        let kind = try TaskKindRegistry.make(descriptor.taskKind, context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: checkpointLabels, warn: warn))
        let train = evalOnly ? [] : try kind.features(.train)
        let eval = try kind.features(.eval)
        let test = try kind.features(.test)
        if !evalOnly && spec.data.train != nil && train.isEmpty {
            throw CLIError("task `\(spec.name)`: the training set \(spec.data.train!.path) has no examples")
        }
        if let longest = (train + eval + test).map(\.length).max(), longest > config.maxPositionEmbeddings {
            throw CLIError("task `\(spec.name)`: features of \(longest) tokens exceed the model's max_position_embeddings \(config.maxPositionEmbeddings); lower max_seq_length")
        }
        // Every task sets the thread counts: its own `threads`, or all cores (what the process
        // started with), so that a task never inherits the count an earlier task asked for.
        Parallel.threadCount = spec.training.threads ?? Parallel.defaultThreadCount
        OpenBLAS.shared.threads = spec.training.threads ?? OpenBLAS.shared.defaultThreads
        var initialization = RandomStreams(seed: spec.training.seed).initialization
        let model = try TaskModel.load(from: modelFolder, descriptor: descriptor, labels: kind.labels,
                                       options: spec.headConfig, stream: &initialization, warn: warn)
        let store = CheckpointStore(taskDirectory: directory, sourceModel: spec.model, spec: spec, labels: kind.labels)
        let outputs = try RunOutputs(directory: directory, taskName: spec.name, appendToLog: resume)
        let padID = Int32(tokenizer.padId)
        var outcome = "evaluated"
        var trainer: Trainer?
        var weightsChangedAfterTraining = false
        if !evalOnly && !train.isEmpty {
            let t = Trainer(spec: spec, model: model, descriptor: descriptor, kind: kind, train: train, eval: eval,
                            padID: padID, store: store, outputs: outputs)
            t.interruptAfterSteps = interruptAfterSteps
            if resume {
                let (state, moments) = try store.readResumeState()
                try t.resume(from: state, optimizerState: moments)
                outputs.progress.message("[\(spec.name)] resuming at step \(state.globalStep) of \(t.plan.totalSteps)")
            }
            trainer = t
            switch try t.run() {
            case .interrupted:
                try writeReports(outputs: outputs, trainer: t, final: [:], outcome: "interrupted", seconds: now() - started)
                return Result(directory: directory, outcome: "interrupted", finalMetrics: [:])
            case .stoppedEarly: outcome = "stopped early"
            case .finished: outcome = "finished"
            }
            if t.restoreBest() {
                weightsChangedAfterTraining = true
                outputs.progress.message("[\(spec.name)] restored the best checkpoint (step \(t.state.best!.step), \(t.state.best!.metric) \(t.state.best!.value))")
            } else if let best = t.state.best, best.step != t.state.globalStep,
                      FileManager.default.fileExists(atPath: store.best.appendingPathComponent("model.safetensors").path) {
                // resumed after the best evaluation: its weights are on disk only
                var unused = RandomStream(key: 0)
                let bestModel = try TaskModel.load(from: ModelFolder(store.best), descriptor: descriptor, labels: kind.labels,
                                                   options: spec.headConfig, stream: &unused, warn: { _ in })
                for ((_, p), (_, q)) in zip(model.namedParameters, bestModel.namedParameters) { p.copyValues(from: q) }
                weightsChangedAfterTraining = true
            }
        }
        var final: [String: [String: Double]] = [:]
        var reports: [String: JSONValue] = [:]
        let batchSize = spec.training.evalBatchSize ?? spec.training.batchSize
        for (split, features) in [(Split.eval, eval), (.test, test)] where !features.isEmpty {
            let evaluation: Evaluation
            if split == .eval, !weightsChangedAfterTraining, let t = trainer, let last = t.lastEvaluation, last.step == t.state.globalStep {
                evaluation = last.evaluation    // the model as it was last evaluated: no second pass
                try outputs.write(evaluation, split: split)
            } else {
                outputs.progress.message("[\(spec.name)] predicting the \(split.rawValue) split (\(features.count) features)")
                evaluation = try outputs.evaluate(model: model, kind: kind, split: split, features: features, padID: padID,
                                                  batchSize: batchSize, write: true)
            }
            if !evaluation.metrics.isEmpty { final[split.rawValue] = evaluation.metrics }
            reports[split.rawValue] = evaluation.report
        }
        try writeReports(outputs: outputs, trainer: trainer, final: final, reports: reports, outcome: outcome, seconds: now() - started)
        return Result(directory: directory, outcome: outcome, finalMetrics: final)
    }

    func writeReports(outputs: RunOutputs, trainer: Trainer?, final: [String: [String: Double]], reports: [String: JSONValue] = [:],
                      outcome: String, seconds: Double) throws {
        try RunReport(spec: spec, outcome: outcome, seconds: seconds, final: final, reports: reports,
                      history: trainer?.state.history ?? [], best: trainer?.state.best,
                      log: outputs.trainLogEntries, totalSteps: trainer?.plan.totalSteps)
            .write(to: outputs.directory)
    }
}
