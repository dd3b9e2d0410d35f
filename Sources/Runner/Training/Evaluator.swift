import Distributed
import Heads
import Tasks

/// Evaluates a split with the model as it is: predicts every feature (no graph, no dropout) and
/// has the task kind score the outputs. The one way a split is evaluated, during training (the
/// trainer's evaluations of the eval split) and after it (the final report of eval and test).
/// On several ranks the prediction is shared and rank 0 alone scores it: the others get the
/// metrics, without report or predictions (they write nothing).
struct Evaluator {
    let model: TaskModel
    let kind: TaskKind
    let padID: Int32
    let batchSize: Int
    var ranks: Communicator? = nil

    /// The kind's metrics (with the mean loss, "loss", when every feature has targets and the kind
    /// gives no loss of its own), its report and its predictions.
    func evaluate(_ split: Split, features: [EncodedFeature]) throws -> Evaluation {
        let predictor = Predictor(model: model, padID: padID, batchSize: batchSize, ranks: ranks)
        let (outputs, loss) = try predictor.run(features)
        guard let ranks else { return try score(split, outputs: outputs, loss: loss) }
        if ranks.isRoot {
            let evaluation = try score(split, outputs: outputs, loss: loss)
            _ = GatheredOutputs.broadcast(evaluation.metrics, on: ranks)
            return evaluation
        }
        return Evaluation(metrics: GatheredOutputs.broadcast([:], on: ranks), report: .null, predictions: [])
    }

    private func score(_ split: Split, outputs: [FeatureOutput], loss: Double?) throws -> Evaluation {
        var evaluation = try kind.evaluate(split, outputs: outputs, head: model.head)
        if let loss, !evaluation.metrics.isEmpty, evaluation.metrics["loss"] == nil { evaluation.metrics["loss"] = loss }
        return evaluation
    }
}
