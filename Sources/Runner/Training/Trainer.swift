import Backbone
import Distributed
import Foundation
import Heads
import Tasks
import Tensor
import TaskFile

/// The training loop of one task (docs/architecture.md, "One training step"): length-grouped batches with dynamic
/// padding, dropout from the run's stream, loss and backward per micro-batch, gradient-norm
/// clipping, AdamW with the no-decay rule on a linear warmup/decay schedule; evaluation every
/// `eval_steps` and at each epoch end (by its `Evaluator`), best/ and last/ checkpoints, early
/// stopping, Ctrl-C; at the end, the best evaluation's weights put back (`restoreBest`).
final class Trainer {
    let spec: TaskSpec
    let model: TaskModel
    let descriptor: HeadDescriptor
    let evaluator: Evaluator
    /// The training features as the task kind encoded them, and the current epoch's
    /// (`TaskKind.trainingFeatures`: the same, unless the kind draws them anew each epoch).
    let encodedTrain: [EncodedFeature]
    private(set) var train: [EncodedFeature]
    let eval: [EncodedFeature]
    let padID: Int32
    let store: CheckpointStore
    let outputs: RunOutputs
    let plan: TrainingPlan
    let optimizer: AdamW
    let schedule: LinearSchedule
    var state: TrainerState
    /// The parameters at the best evaluation of this run, kept to restore at the end (a run
    /// resumed after its best evaluation finds them in best/ instead).
    private var bestWeights: [Tensor]?
    /// For tests: stop as Ctrl-C would after this many optimizer steps.
    var interruptAfterSteps: Int?
    /// The newest checkpoint this training wrote or resumed from, and its step: what a stop on a
    /// non-finite loss names as the last good one.
    private(set) var lastCheckpoint: (folder: URL, step: Int)?
    /// The evaluation of the eval split made with the weights as they are now, if any (none
    /// once a step or `restoreBest` has changed them): the final report reuses it instead of
    /// predicting the split again.
    private(set) var currentEvaluation: Evaluation?
    /// The other ranks of a data-parallel run (nil for one process), and the buckets its
    /// gradients are summed in.
    let dataParallel: Communicator?
    let gradientBuckets: GradientBuckets?

    init(spec: TaskSpec, model: TaskModel, descriptor: HeadDescriptor, evaluator: Evaluator,
         train: [EncodedFeature], eval: [EncodedFeature], padID: Int32, store: CheckpointStore, outputs: RunOutputs,
         dataParallel: Communicator? = nil) {
        self.spec = spec
        self.model = model
        self.descriptor = descriptor
        self.evaluator = evaluator
        encodedTrain = train
        self.train = train
        self.eval = eval
        self.padID = padID
        self.store = store
        self.outputs = outputs
        let s = spec.training
        self.dataParallel = dataParallel
        gradientBuckets = dataParallel.map {
            GradientBuckets(parameters: model.namedParameters.map(\.tensor), communicator: $0, capacityBytes: GradientBuckets.defaultCapacityBytes)
        }
        plan = TrainingPlan(trainingExamples: train.count, settings: s, ranks: dataParallel?.size ?? 1)
        optimizer = AdamW(parameters: model.namedParameters, weightDecay: s.weightDecay,
                          beta1: s.adamBeta1, beta2: s.adamBeta2, epsilon: s.adamEpsilon)
        schedule = LinearSchedule(baseLearningRate: s.learningRate, totalSteps: plan.totalSteps, warmup: .steps(plan.warmupSteps))
        state = TrainerState(globalStep: 0, epoch: 0, stepInEpoch: 0, totalSteps: plan.totalSteps,
                             streams: RandomStreams(seed: s.seed), optimizer: optimizer.state().metadata,
                             best: nil, evaluationsWithoutImprovement: 0, history: [],
                             ranks: dataParallel.map(\.size))
    }

    var metricName: String { spec.training.metricForBestModel ?? evaluator.kind.defaultMetric }
    var greaterIsBetter: Bool { spec.training.greaterIsBetter ?? !(metricName.contains("loss") || metricName.contains("perplexity")) }

    /// Continues from last/: optimizer moments, step counters, random streams, history.
    func resume(from saved: TrainerState, optimizerState: AdamWState) throws {
        let savedRanks = saved.ranks ?? 1, ranks = dataParallel?.size ?? 1
        guard savedRanks == ranks else {
            throw CLIError("[\(spec.name)] \(store.last.path) was written by a run on \(savedRanks) process\(savedRanks == 1 ? "" : "es"); resume it on as many (\(savedRanks == 1 ? "without mpirun" : "mpirun -np \(savedRanks)")), not \(ranks)")
        }
        try optimizer.load(optimizerState)
        state = saved
        state.totalSteps = plan.totalSteps
        lastCheckpoint = (store.last, saved.globalStep)
    }

    /// The data order of `epoch`: a stream of its own, so a resumed run reproduces it. On N
    /// ranks the batches are global ones, of N x batch_size features, which the ranks split.
    func batches(ofEpoch epoch: Int) -> [[Int]] {
        var stream = RandomStream(key: state.streams.dataOrder.key &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        return BatchOrder.trainingBatches(lengths: train.map(\.length), batchSize: spec.training.batchSize * (dataParallel?.size ?? 1),
                                          groupByLength: spec.training.groupByLength, stream: &stream)
    }

    /// The training features of `epoch`, drawn by the task kind from a key of their own (the
    /// masks of masked language modelling): the same again after a resume, on any number of ranks.
    func features(ofEpoch epoch: Int) -> [EncodedFeature] {
        let key = RandomStreams.derivedKey(state.streams.dataOrder.key, Self.epochFeaturesPurpose, UInt64(epoch))
        return evaluator.kind.trainingFeatures(encodedTrain, epoch: epoch, key: key)
    }

    /// Separates the epoch features' key from the data order's.
    static let epochFeaturesPurpose: UInt64 = 0x6D61_736B    // "mask"

    /// Trains to the end of the plan, or until early stopping or Ctrl-C.
    func run() throws -> Outcome {
        let s = spec.training
        let parameters = model.namedParameters
        let progress = outputs.progress
        progress.start(total: plan.totalSteps, label: spec.name, epochs: plan.epochs, initialStep: state.globalStep)
        defer { progress.finish() }
        progress.message("[\(spec.name)] \(train.count) training features, \(plan.stepsPerEpoch) steps per epoch, \(plan.totalSteps) steps, warmup \(plan.warmupSteps)")
        var windowTokens = 0, windowStart = now()
        while state.globalStep < plan.totalSteps {
            train = features(ofEpoch: state.epoch)
            let epochBatches = batches(ofEpoch: state.epoch)
            let groups = stride(from: 0, to: epochBatches.count, by: s.gradientAccumulationSteps).map {
                Array(epochBatches[$0..<min($0 + s.gradientAccumulationSteps, epochBatches.count)])
            }
            while state.stepInEpoch < groups.count && state.globalStep < plan.totalSteps {
                let group = groups[state.stepInEpoch]
                model.releaseGradients()
                let step = try dataParallel.map { try dataParallelStep(group, on: $0) } ?? localStep(group)
                windowTokens += step.tokens
                let tensors = parameters.map(\.tensor)
                // clipping is applied by AdamW as it reads the gradients (same bits, one pass less)
                let (gradNorm, clip) = s.maxGradNorm > 0
                    ? GradientClipping.clipCoefficient(of: tensors, maxNorm: s.maxGradNorm)
                    : (GradientClipping.globalNorm(of: tensors), 1)
                // before the update, so that the weights (and any checkpoint written later) stay finite;
                // on several ranks the loss and the gradients are sums, so every rank stops here alike
                if !step.loss.isFinite {
                    throw nonFiniteStop("the loss became \(step.loss) at step \(state.globalStep + 1)")
                }
                if !gradNorm.isFinite {
                    throw nonFiniteStop("the gradient norm became \(gradNorm) at step \(state.globalStep + 1) (loss \(step.loss))")
                }
                let learningRate = schedule.learningRate(atStep: state.globalStep)
                optimizer.step(learningRate: learningRate, gradientScale: clip)
                currentEvaluation = nil
                state.globalStep += 1
                state.stepInEpoch += 1
                let loss = step.loss
                let epochProgress = Double(state.epoch) + Double(state.stepInEpoch) / Double(groups.count)
                let elapsed = now() - windowStart
                let tokensPerSecond = elapsed > 0 ? Double(windowTokens) / elapsed : 0
                progress.update(step: state.globalStep, epoch: epochProgress, loss: loss, learningRate: learningRate, tokensPerSecond: tokensPerSecond)
                if state.globalStep % s.loggingSteps == 0 || state.globalStep == plan.totalSteps {
                    try outputs.log(TrainLogEntry(step: state.globalStep, epoch: epochProgress, loss: loss, learningRate: learningRate,
                                                  gradNorm: Double(gradNorm), tokensPerSecond: tokensPerSecond))
                    windowTokens = 0
                    windowStart = now()
                }
                if let every = s.evalSteps, state.globalStep % every == 0, state.globalStep < plan.totalSteps {
                    if try evaluateAndKeepBest(epoch: epochProgress) { return .stoppedEarly }
                }
                // on several ranks, only what they agreed on: every rank stops after the same step
                if (dataParallel == nil ? Interrupt.requested : step.interrupted) || interruptAfterSteps == state.globalStep {
                    try saveLast()
                    progress.message("[\(spec.name)] interrupted at step \(state.globalStep): wrote \(store.last.path); continue with --resume")
                    return .interrupted
                }
            }
            // epoch end (or the step budget reached inside it)
            let finishedEpoch = state.stepInEpoch >= groups.count
            if finishedEpoch {
                state.epoch += 1
                state.stepInEpoch = 0
            }
            let stop = try evaluateAndKeepBest(epoch: Double(state.epoch) + (finishedEpoch ? 0 : Double(state.stepInEpoch) / Double(groups.count)))
            try saveLast()
            if stop { return .stoppedEarly }
        }
        return .finished
    }

    /// What one optimizer step's forward and backward passes gave.
    struct StepResult {
        /// The mean loss over the step's batch (the global batch, on several ranks).
        var loss: Double
        /// The tokens it read (on all ranks).
        var tokens: Int
        /// Whether Ctrl-C (SIGINT or SIGTERM) asked to stop after this step (on any rank).
        var interrupted: Bool
    }

    /// One process's step: the micro-batches' forward and backward passes, gradients left in
    /// the parameters (a gradient for every parameter, zeros where unused: torch gives every
    /// parameter one, so the weight decay of AdamW reaches them all).
    private func localStep(_ group: [[Int]]) throws -> StepResult {
        let s = spec.training
        var lossSum = 0.0, tokens = 0
        // the weights change only at the optimizer step: bf16 copies once per step
        try BF16Weights.reusingConversions {
            for micro in group {
                let batch = FeatureBatch(features: train, indices: micro, padID: padID, padTo: s.padToMaxLength ? s.maxSeqLength : nil)
                let targets = try requireTargets(batch)
                let output = model(batch.tokens, training: true, stream: &state.streams.dropout)
                let loss = try model.head.loss(output, targets: targets)
                lossSum += Double(loss.item)
                (group.count > 1 ? scale(loss, by: 1 / Float(group.count)) : loss).backward()
                tokens += batch.tokens.tokenCount
            }
        }
        for (_, p) in model.namedParameters { _ = p.gradBuffer() }
        return StepResult(loss: lossSum / Double(group.count), tokens: tokens, interrupted: Interrupt.requested)
    }

    func requireTargets(_ batch: FeatureBatch) throws -> any HeadTargets {
        guard let targets = batch.targets else {
            throw CLIError("[\(spec.name)] task kind `\(descriptor.taskKind)` gave training features without targets")
        }
        return targets
    }

    /// Evaluates on the eval split (when there is one), records the history, writes best/ when
    /// the metric improved. Returns true when early stopping says stop.
    private func evaluateAndKeepBest(epoch: Double) throws -> Bool {
        guard !eval.isEmpty else { return false }
        let evaluation = try evaluator.evaluate(.eval, features: eval)
        currentEvaluation = evaluation
        state.history.append(EvaluationRecord(step: state.globalStep, epoch: epoch, metrics: evaluation.metrics))
        guard let value = evaluation.metrics[metricName] else {
            throw CLIError("[\(spec.name)] metric_for_best_model `\(metricName)` is not among the evaluation's metrics: \(evaluation.metrics.keys.sorted().joined(separator: ", "))")
        }
        let summary = evaluation.metrics.keys.sorted().map { String(format: "%@ %.4f", $0, evaluation.metrics[$0]!) }.joined(separator: ", ")
        outputs.progress.message("[\(spec.name)] step \(state.globalStep) eval: \(summary)")
        let improved = state.best.map { greaterIsBetter ? value > $0.value : value < $0.value } ?? true
        if improved {
            state.best = .init(step: state.globalStep, metric: metricName, value: value)
            state.evaluationsWithoutImprovement = 0
            bestWeights = model.namedParameters.map { $0.tensor.detached() }
            if spec.training.saveCheckpoints {
                try writeCheckpoint(to: store.best, optimizer: nil)
            }
        } else {
            state.evaluationsWithoutImprovement += 1
        }
        if let patience = spec.training.earlyStoppingPatience, state.evaluationsWithoutImprovement >= patience {
            outputs.progress.message("[\(spec.name)] early stopping: \(metricName) did not improve for \(patience) evaluations")
            return true
        }
        return false
    }

    func saveLast() throws {
        guard spec.training.saveCheckpoints else { return }
        state.optimizer = optimizer.state().metadata
        try writeCheckpoint(to: store.last, optimizer: optimizer)
    }

    /// best/ (without trainer state) or last/ (`optimizer` given), at the current step.
    private func writeCheckpoint(to folder: URL, optimizer: AdamW?) throws {
        do {
            try store.write(to: folder, model: model, descriptor: descriptor, optimizer: optimizer, state: optimizer == nil ? nil : state)
        } catch let bad as CheckpointStore.NonFiniteParameter {
            throw nonFiniteStop("the weights became non-finite by step \(state.globalStep) (\(bad)): \(folder.lastPathComponent)/ not written")
        }
        lastCheckpoint = (folder, state.globalStep)
    }

    /// The error that stops training on a NaN or an infinity: what went wrong and at which step,
    /// and the last good checkpoint, which nothing overwrites since the run stops here.
    private func nonFiniteStop(_ what: String) -> CLIError {
        let kept = lastCheckpoint.map { "the last good checkpoint, kept as it was, is \($0.folder.path) (step \($0.step))" }
            ?? (spec.training.saveCheckpoints ? "no checkpoint was written before it" : "no checkpoint is kept (save_checkpoints: false)")
        return CLIError("[\(spec.name)] \(what); training stopped, \(kept). Lower learning_rate or check the data")
    }

    /// Puts the best evaluation's weights back (transformers' load_best_model_at_end), when the
    /// last step was not the best: from memory, or from best/ when the best evaluation came
    /// before a resume. Returns whether it did.
    func restoreBest() throws -> Bool {
        guard let best = state.best, best.step != state.globalStep else { return false }
        if let bestWeights {
            for ((_, p), saved) in zip(model.namedParameters, bestWeights) { p.copyValues(from: saved) }
        } else {
            guard FileManager.default.fileExists(atPath: store.best.appendingPathComponent("model.safetensors").path) else { return false }
            var unused = RandomStream(key: 0)
            let saved = try TaskModel.load(from: ModelFolder(store.best), descriptor: descriptor, labels: store.labels,
                                           options: spec.headConfig, stream: &unused, warn: { _ in })
            for ((_, p), (_, q)) in zip(model.namedParameters, saved.namedParameters) { p.copyValues(from: q) }
        }
        currentEvaluation = nil
        outputs.progress.message("[\(spec.name)] restored the best checkpoint (step \(best.step), \(best.metric) \(best.value))")
        return true
    }
}

/// One line of train_log.jsonl.
struct TrainLogEntry: Codable {
    var step: Int
    var epoch: Double
    var loss: Double
    var learningRate: Double
    var gradNorm: Double
    var tokensPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case step, epoch, loss
        case learningRate = "learning_rate"
        case gradNorm = "grad_norm"
        case tokensPerSecond = "tokens_per_second"
    }
}
