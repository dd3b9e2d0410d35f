import Heads
import Tasks

/// Evaluates a split with the model as it is: predicts every feature (no graph, no dropout) and
/// has the task kind score the outputs. The one way a split is evaluated, during training (the
/// trainer's evaluations of the eval split) and after it (the final report of eval and test).
struct Evaluator {
    let model: TaskModel
    let kind: TaskKind
    let padID: Int32
    let batchSize: Int

    /// The kind's metrics (with the mean loss, "loss", when every feature has targets), its
    /// report and its predictions.
    func evaluate(_ split: Split, features: [EncodedFeature]) throws -> Evaluation {
        let predictor = Predictor(model: model, padID: padID, batchSize: batchSize)
        let (outputs, loss) = try predictor.run(features)
        var evaluation = try kind.evaluate(split, outputs: outputs, head: model.head)
        if let loss, !evaluation.metrics.isEmpty { evaluation.metrics["loss"] = loss }
        return evaluation
    }
}
