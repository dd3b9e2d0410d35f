import Backbone
import Foundation
import Heads
import Runner
import Tasks
import TaskFile
import Tokenizers

/// What `bertkit predict` and the server do with inputs, short of running a model: the task
/// kind encodes them, made-up head outputs of the right sizes stand in for the model's, and the
/// kind describes its answers from them (post-processing, entity merging, fill-mask decoding).
enum PredictionFlow {
    /// A task kind as ServableModel.load builds it from a checkpoint's description, over the
    /// fixture tokenizer.
    static func kind(for description: CheckpointDescription) throws -> TaskKind {
        _ = BuiltInsOnce.register
        var spec = TaskSpec(name: description.task, head: description.head.name, headConfig: description.headConfig,
                            data: DataSpec(format: .jsonl), model: Scratch.root)
        spec.training.maxSeqLength = description.maxSeqLength
        if let stride = description.docStride { spec.training.docStride = stride }
        if let length = description.maxAnswerLength { spec.training.maxAnswerLength = length }
        if let size = description.nBestSize { spec.training.nBestSize = size }
        return try TaskKindRegistry.make(description.head.taskKind, context: TaskKindContext(
            spec: spec, tokenizer: Fixtures.uncased, checkpointLabels: description.labels, warn: { _ in }))
    }

    /// Encodes `inputs`, makes outputs for the features and describes them; checks that every
    /// input gets one answer that is a JSON object.
    static func answer(_ inputs: [JSONValue], with kind: TaskKind, kindName: String) throws {
        let features = try kind.predictionFeatures(for: inputs)
        let answers = try kind.describePredictions(for: inputs, outputs: outputs(for: features, kindName: kindName, labels: kind.labels.count))
        try require(answers.count == inputs.count, "\(answers.count) answers for \(inputs.count) inputs")
        for answer in answers {
            let parsed = try? JSONSerialization.jsonObject(with: Data(answer.utf8))
            try require(parsed is [String: Any], "an answer that is not a JSON object: \(answer)")
        }
    }

    /// One input that every task kind reads: text, pair, question and context.
    static let sampleInput: JSONValue = .object([
        "text": .string("The cat [MASK] on the mat in Paris."), "text_pair": .string("A cat sat."),
        "question": .string("Where is the cat?"), "context": .string("The cat sat on the mat in Paris, France."),
    ])

    /// Head outputs for `features` as the built-in heads name and size them, with values drawn
    /// from the features' ids, so that the same input always gets the same outputs. The masked-LM
    /// head gives other outputs in evaluation (losses and predicted tokens) than in prediction.
    static func outputs(for features: [EncodedFeature], kindName: String, labels: Int, evaluation: Bool = false) -> [FeatureOutput] {
        features.enumerated().map { index, feature in
            var generator = SplitMixValues(seed: UInt64(index) &* 0x9E37_79B9_7F4A_7C15 ^ feature.inputIDs.reduce(0) { $0 &* 31 &+ UInt64(UInt32(bitPattern: $1)) })
            let t = feature.length
            switch kindName {
            case "span-extraction":
                return FeatureOutput(values: ["start_logits": generator.values(t), "end_logits": generator.values(t)])
            case "token-classification":
                return FeatureOutput(values: ["logits": generator.values(t * labels)])
            case "language-modeling" where evaluation:
                let vocabulary = Float(Fixtures.vocabulary.count)
                return FeatureOutput(values: [MaskedLMHead.maskedLossOutput: generator.values(t).map { $0 + 8 },
                                              MaskedLMHead.predictedTokenOutput: generator.values(t).map { (($0 + 8) / 16 * vocabulary).rounded(.down) }])
            case "language-modeling":
                let masks = feature.inputIDs.filter { Int($0) == Fixtures.uncased.maskId }.count
                return FeatureOutput(values: [MaskedLMHead.maskLogitsOutput: generator.values(masks * Fixtures.vocabulary.count)])
            default:
                return FeatureOutput(values: ["logits": generator.values(labels)])
            }
        }
    }
}

/// SplitMix64 scaled to floats in [-8, 8): cheap, varied logits.
struct SplitMixValues {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func values(_ count: Int) -> [Float] {
        (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / Float(1 << 24) * 16 - 8
        }
    }
}
