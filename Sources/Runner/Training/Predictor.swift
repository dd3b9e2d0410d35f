import Backbone
import Distributed
import Heads
import Tasks
import Tensor

/// Runs a model over features without gradients, in length-sorted batches (the least padding),
/// and returns each feature's outputs, unpadded, in feature order. On several ranks each predicts
/// every N-th batch and all of them get all the outputs (`GatheredOutputs`).
struct Predictor {
    let model: TaskModel
    let padID: Int32
    let batchSize: Int
    var ranks: Communicator? = nil

    /// - Returns: the outputs, and the mean loss over the batches when every feature has targets.
    func run(_ features: [EncodedFeature], progress: ((Int, Int) -> Void)? = nil) throws -> (outputs: [FeatureOutput], loss: Double?) {
        var outputs = [FeatureOutput?](repeating: nil, count: features.count)
        var lossSum = 0.0, lossCount = 0, lossAvailable = true
        let allBatches = BatchOrder.evaluationBatches(lengths: features.map(\.length), batchSize: batchSize)
        // batches are sorted by length: every N-th one gives each rank a like share of the work
        let batches = ranks.map { ranks in allBatches.enumerated().filter { $0.offset % ranks.size == ranks.rank }.map(\.element) } ?? allBatches
        // the weights do not change while predicting: bf16 copies once for all the batches
        try BF16Weights.reusingConversions {
            for (number, indices) in batches.enumerated() {
                let batch = FeatureBatch(features: features, indices: indices, padID: padID)
                try Autograd.noGrad {
                    let predicted = model.predict(batch.tokens)
                    let output = try model.head.predictionOutputs(predicted, targets: batch.targets)
                    if lossAvailable, let targets = batch.targets,
                       let loss = try? model.head.evaluationLoss(predicted, kept: output, targets: targets), loss.isFinite {
                        lossSum += loss * Double(indices.count)
                        lossCount += indices.count
                    } else {
                        lossAvailable = false
                    }
                    let t = batch.tokens.sequenceLength
                    for (row, featureIndex) in indices.enumerated() {
                        var values: [String: [Float]] = [:]
                        for (name, tensor) in output.tensors {
                            let perRow = tensor.count / indices.count
                            let start = tensor.data + row * perRow
                            if output.perToken.contains(name) {
                                let perToken = perRow / t
                                values[name] = Array(UnsafeBufferPointer(start: start, count: features[featureIndex].length * perToken))
                            } else {
                                values[name] = Array(UnsafeBufferPointer(start: start, count: perRow))
                            }
                        }
                        outputs[featureIndex] = FeatureOutput(values: values)
                    }
                }
                progress?(number + 1, batches.count)
            }
        }
        if let ranks {
            let mine = Dictionary(uniqueKeysWithValues: batches.joined().map { ($0, outputs[$0]!) })
            let gathered = GatheredOutputs.gather(mine, count: features.count, on: ranks)
            // a rank without batches has nothing to say of the loss
            let totals = ranks.sum([lossSum, Double(lossCount), lossAvailable || batches.isEmpty ? 0 : 1])
            return (gathered, totals[2] == 0 && totals[1] > 0 ? totals[0] / totals[1] : nil)
        }
        return (outputs.map { $0! }, lossAvailable && lossCount > 0 ? lossSum / Double(lossCount) : nil)
    }
}
