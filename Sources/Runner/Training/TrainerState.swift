import Tensor

/// Everything beyond the weights and the optimizer moments that an exact resume needs, saved as
/// trainer_state/state.json in every checkpoint.
struct TrainerState: Codable {
    /// Optimizer steps done.
    var globalStep: Int
    /// The epoch in progress (0-based) and the optimizer steps already done in it.
    var epoch: Int
    var stepInEpoch: Int
    var totalSteps: Int
    var streams: RandomStreams
    var optimizer: AdamWStateMetadata
    var best: BestCheckpoint?
    var evaluationsWithoutImprovement: Int
    var history: [EvaluationRecord]
    /// The data-parallel ranks that wrote it (absent: one process). A resume must use as many:
    /// the global batches, the slices and the dropout streams depend on it.
    var ranks: Int?

    struct BestCheckpoint: Codable {
        var step: Int
        var metric: String
        var value: Double
    }
}

/// One evaluation during training.
struct EvaluationRecord: Codable {
    var step: Int
    var epoch: Double
    var metrics: [String: Double]
}
