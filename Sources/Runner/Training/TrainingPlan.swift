import Tasks
import TaskFile

/// How many optimizer steps a run makes, derived from the data size and the settings
/// (transformers' Trainer arithmetic); on N ranks a batch is N x batch_size features.
struct TrainingPlan: Equatable {
    let batchesPerEpoch: Int
    let stepsPerEpoch: Int
    let totalSteps: Int
    let warmupSteps: Int

    init(trainingExamples n: Int, settings s: TrainingSettings, ranks: Int = 1) {
        let globalBatch = s.batchSize * ranks
        batchesPerEpoch = max(1, (n + globalBatch - 1) / globalBatch)
        // a last group with fewer micro-batches still makes an optimizer step
        stepsPerEpoch = max(1, (batchesPerEpoch + s.gradientAccumulationSteps - 1) / s.gradientAccumulationSteps)
        totalSteps = s.maxSteps ?? max(1, Int((s.epochs * Double(stepsPerEpoch)).rounded(.up)))
        // warmup steps win over the ratio; the ratio rounds up as the Trainer does
        warmupSteps = s.warmupSteps ?? Int((s.warmupRatio * Double(totalSteps)).rounded(.up))
    }

    var epochs: Int { (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch }
}
