import Backbone
import Foundation
import Tasks
import TaskFile

/// A dataset file the way `bertkit run` reaches it: the task kind reads it (through
/// TaskKindRegistry, with the fixture tokenizer), encodes each split, and evaluates the first on
/// made-up outputs (metrics, predictions written back in the file's own terms).
enum DatasetFlow {
    /// Writes `bytes` as `name` and reads it as every split in `splits` (the same file for each:
    /// a test split is read without requiring labels, so it takes another path).
    static func run(_ bytes: [UInt8], as name: String, kind kindName: String, data: DataSpec, training: TrainingSettings,
                    splits: [Split]) throws {
        _ = BuiltInsOnce.register
        let url = Scratch.write(bytes, as: name, in: Scratch.folder(kindName))
        var data = data
        for split in splits {
            switch split {
            case .train: data.train = url
            case .eval: data.eval = url
            case .test: data.test = url
            }
        }
        let spec = TaskSpec(name: "fuzz", head: kindName, data: data, training: training, model: Scratch.root)
        let kind = try TaskKindRegistry.make(kindName, context: TaskKindContext(spec: spec, tokenizer: Fixtures.uncased,
                                                                                checkpointLabels: nil, warn: { _ in }))
        for (index, split) in splits.enumerated() {
            let features = try kind.features(split)
            for (index, feature) in features.enumerated() {
                try require(feature.length <= training.maxSeqLength, "\(split) feature \(index): \(feature.length) tokens, more than \(training.maxSeqLength)")
                try require(feature.tokenTypeIDs.count == feature.length, "\(split) feature \(index): type ids of another length")
                try require(feature.inputIDs.allSatisfy { $0 >= 0 && Int($0) < Fixtures.vocabulary.count },
                            "\(split) feature \(index): an id outside the vocabulary")
            }
            // the first split only: evaluation (metrics and prediction lines through JSONEncoder)
            // would otherwise take most of the time of every input
            guard index == 0 else { continue }
            let outputs = PredictionFlow.outputs(for: features, kindName: kindName, labels: kind.labels.count, evaluation: true)
            _ = try kind.evaluate(split, outputs: outputs)
        }
    }
}
