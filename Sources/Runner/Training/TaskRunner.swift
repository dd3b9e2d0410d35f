import Backbone
import Distributed
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
        var outcome: Outcome
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
        let ranks = DataParallelWorld.ranks
        let modelFolder = ModelFolder(resume ? store0.last : spec.model)
        if let reference = spec.modelReference, !resume,
           !FileManager.default.fileExists(atPath: spec.model.appendingPathComponent("config.json").path) {
            throw CLIError("\(spec.position(of: "model")): task `\(spec.name)`: `model` \(reference.written) is \(spec.model.path), "
                           + "which does not exist: task `\(reference.task)` writes it; run it first (it comes earlier in the file)")
        }
        if resume {
            // rank 0 repairs an interrupted write of last/ or best/ before any rank reads them
            if ranks?.isRoot ?? true { try store0.recoverInterruptedWrites() }
            ranks?.barrier()
        }
        let tokenizer = try BertTokenizer(modelFolder: modelFolder.url)
        let config = try modelFolder.config()
        try modelFolder.checkVocabulary(of: tokenizer, against: config)
        let checkpointLabels = config.architectures.contains(descriptor.architecture) ? config.labelNames : nil
        let warn: (String) -> Void = { standardErrorWarning($0) }
        let kind = try TaskKindRegistry.make(descriptor.taskKind, context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: checkpointLabels,
                                                                                                          vocabularySize: config.vocabSize, warn: warn))
        let train = evalOnly ? [] : try kind.features(.train)
        let eval = try kind.features(.eval)
        let test = try kind.features(.test)
        if !evalOnly && spec.data.train != nil && train.isEmpty {
            throw CLIError("task `\(spec.name)`: the training set \(spec.data.train!.path) has no examples")
        }
        if let longest = (train + eval + test).map(\.length).max(), longest > config.maxPositionEmbeddings {
            throw CLIError("task `\(spec.name)`: features of \(longest) tokens exceed the model's max_position_embeddings \(config.maxPositionEmbeddings); lower max_seq_length")
        }
        if !config.readsTextPairs, (train + eval + test).contains(where: { $0.tokenTypeIDs.contains(1) }) {
            throw CLIError("task `\(spec.name)`: its features are text pairs, but \(modelFolder.configURL.path) has type_vocab_size "
                           + "\(config.typeVocabSize): the model reads single texts only")
        }
        // Every task sets the thread counts: its own `threads`, or all cores (what the process
        // started with; on a data-parallel run, shared by the ranks on the host), so that a task
        // never inherits the count an earlier task asked for.
        Parallel.threadCount = spec.training.threads ?? (ranks == nil ? Parallel.defaultThreadCount : DataParallelWorld.defaultThreadCount)
        OpenBLAS.shared.threads = spec.training.threads ?? (ranks == nil ? OpenBLAS.shared.defaultThreads : DataParallelWorld.defaultThreadCount)
        var initialization = RandomStreams(seed: spec.training.seed).initialization
        let model = try TaskModel.load(from: modelFolder, descriptor: descriptor, labels: kind.labels,
                                       options: spec.headConfig, stream: &initialization, warn: warn)
        // before anything is written: a `class_weights` that does not fit the labels stops here
        let classWeights = evalOnly || train.isEmpty ? nil
            : try TaskClassWeights.apply(spec, labels: kind.labels, train: train, to: model.head)
        let writes = ranks?.isRoot ?? true
        let store = CheckpointStore(taskDirectory: directory, sourceModel: spec.model, spec: spec, labels: kind.labels, writes: writes)
        let training = !evalOnly && !train.isEmpty
        let resumed = resume && training ? try store.readResumeState() : nil
        let outputs = try RunOutputs(directory: directory, appendToLog: resume, resumedStep: resumed?.0.globalStep, writes: writes)
        if let ranks {
            try ParameterAgreement.check(model.namedParameters.map(\.tensor), on: ranks, when: "at the start")
            outputs.progress.message("[\(spec.name)] \(ranks.size) ranks x batch \(spec.training.batchSize) = global batch \(ranks.size * spec.training.batchSize), \(Parallel.threadCount) thread\(Parallel.threadCount == 1 ? "" : "s") per rank")
        }
        if let classWeights { outputs.progress.message("[\(spec.name)] \(classWeights.summary)") }
        let padID = Int32(tokenizer.padId)
        let evaluator = Evaluator(model: model, kind: kind, padID: padID,
                                  batchSize: spec.training.evalBatchSize ?? spec.training.batchSize, ranks: ranks)
        var outcome = Outcome.evaluated
        var trainer: Trainer?
        if training {
            let t = Trainer(spec: spec, model: model, descriptor: descriptor, evaluator: evaluator, train: train, eval: eval,
                            padID: padID, store: store, outputs: outputs, dataParallel: ranks)
            t.interruptAfterSteps = interruptAfterSteps
            if let (state, moments) = resumed {
                try t.resume(from: state, optimizerState: moments)
                outputs.progress.message("[\(spec.name)] resuming at step \(state.globalStep) of \(t.plan.totalSteps)")
            }
            trainer = t
            outcome = try t.run()
            if outcome == .interrupted {
                try writeReports(outputs: outputs, trainer: t, classWeights: classWeights, final: [:], outcome: outcome, seconds: now() - started)
                return Result(directory: directory, outcome: outcome, finalMetrics: [:])
            }
            _ = try t.restoreBest()
            if let ranks { try ParameterAgreement.check(model.namedParameters.map(\.tensor), on: ranks, when: "after training") }
        }
        var final: [String: [String: Double]] = [:]
        var reports: [String: JSONValue] = [:]
        for (split, features) in [(Split.eval, eval), (.test, test)] where !features.isEmpty {
            let evaluation: Evaluation
            if split == .eval, let current = trainer?.currentEvaluation {
                evaluation = current    // the weights as they were last evaluated: no second pass
            } else {
                outputs.progress.message("[\(spec.name)] predicting the \(split.rawValue) split (\(features.count) features)")
                evaluation = try evaluator.evaluate(split, features: features)
            }
            try outputs.write(evaluation, split: split)
            if !evaluation.metrics.isEmpty { final[split.rawValue] = evaluation.metrics }
            reports[split.rawValue] = evaluation.report
        }
        try writeReports(outputs: outputs, trainer: trainer, classWeights: classWeights, final: final, reports: reports,
                         outcome: outcome, seconds: now() - started)
        return Result(directory: directory, outcome: outcome, finalMetrics: final)
    }

    func writeReports(outputs: RunOutputs, trainer: Trainer?, classWeights: TaskClassWeights?, final: [String: [String: Double]],
                      reports: [String: JSONValue] = [:], outcome: Outcome, seconds: Double) throws {
        guard outputs.writes else { return }
        try RunReport(spec: spec, outcome: outcome, seconds: seconds, classWeights: classWeights?.byLabel, final: final, reports: reports,
                      history: trainer?.state.history ?? [], best: trainer?.state.best,
                      log: outputs.trainLogEntries, totalSteps: trainer?.plan.totalSteps, ranks: DataParallelWorld.ranks?.size ?? 1)
            .write(to: outputs.directory)
    }
}
