import Backbone
import Foundation
import Heads
import Tensor
import Tokenizers
import TaskFile

/// Masked language modelling (continued pre-training on your own text) with the semantics of
/// transformers' run_mlm.py: the texts of a `text` or `jsonl` file tokenized and grouped into
/// blocks of max_seq_length (`TextBlocks`), or one sequence per line; masks drawn as its data
/// collator draws them (`TokenMasking`), anew each epoch for training, once for evaluation.
/// Metrics: the mean loss over the masked tokens (the main one, lower is better), perplexity
/// (exp of it) and the accuracy of the top token.
final class LanguageModelingTask: TaskKind {
    let spec: TaskSpec
    let tokenizer: BertTokenizer
    let masking: TokenMasking
    var labels: [String] { [] }
    var defaultMetric: String { "loss" }
    static var formats: [DataFormat] { [.text, .jsonl] }
    static var dataKeys: Set<String> { ["line_by_line"] }
    /// Each split's token sequences, unmasked.
    private var blocks: [Split: [[Int32]]] = [:]
    /// The masked-LM head's logits per [MASK]: the model's vocabulary rows.
    let logitsPerMask: Int
    /// The masked features of the splits asked for so far: evaluation reads their labels.
    private var masked: [Split: [EncodedFeature]] = [:]

    init(context: TaskKindContext) throws {
        spec = context.spec
        tokenizer = context.tokenizer
        logitsPerMask = context.vocabularySize ?? context.tokenizer.vocabulary.count
        guard let maskID = tokenizer.maskId else {
            throw TaskError.invalid("task `\(spec.name)`: the tokenizer has no mask token `\(tokenizer.options.maskToken)` in its vocabulary; masked language modelling needs one")
        }
        masking = TokenMasking(tokenizer: tokenizer, maskID: maskID, probability: spec.training.mlmProbability,
                               wholeWords: spec.training.wholeWordMasking)
        let data = spec.data
        for (split, url) in [(Split.train, data.train), (.eval, data.eval), (.test, data.test)] {
            guard let url else { continue }
            let texts = try TextLinesReader.read(url: url, spec: data)
            let size = spec.training.maxSeqLength
            var sequences = data.lineByLine ? try TextBlocks.lineByLine(texts, tokenizer: tokenizer, blockSize: size)
                                            : TextBlocks.grouped(texts, tokenizer: tokenizer, blockSize: size)
            // as run_mlm.py's max_train_samples / max_eval_samples: the first blocks
            if let limit = split == .train ? data.maxTrainExamples : data.maxEvalExamples { sequences = Array(sequences.prefix(limit)) }
            guard !sequences.isEmpty else { throw TaskError.invalid("\(url.path): no text to train or evaluate on (every line is blank)") }
            blocks[split] = sequences
        }
    }

    /// The split's sequences with their masks: for evaluation (and test) drawn once from the
    /// task's seed, the same at every evaluation, so that evaluations compare; for training a
    /// first draw that the trainer replaces each epoch (`trainingFeatures`).
    func features(_ split: Split) throws -> [EncodedFeature] {
        if let done = masked[split] { return done }
        guard let sequences = blocks[split] else { return [] }
        let splitNumber: UInt64 = split == .train ? 0 : split == .eval ? 1 : 2
        let key = RandomStreams.derivedKey(RandomStreams(seed: spec.training.seed).dataOrder.key, Self.fixedMaskPurpose, splitNumber)
        let features = mask(sequences, key: key)
        masked[split] = features
        return features
    }

    /// Every epoch's masks from `key` (the trainer's, per epoch), each feature's from a stream
    /// of its own: the same on any number of ranks, and again after a resume.
    func trainingFeatures(_ features: [EncodedFeature], epoch: Int, key: UInt64) -> [EncodedFeature] {
        mask(features.map(Self.unmasked), key: key)
    }

    /// Separates the evaluation masks' streams from the training ones.
    static let fixedMaskPurpose: UInt64 = 0x6576_616C    // "eval"

    private func mask(_ sequences: [[Int32]], key: UInt64) -> [EncodedFeature] {
        var features = [EncodedFeature?](repeating: nil, count: sequences.count)
        features.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.forEachRange(sequences.count, minimumChunk: 64) { range in
                for i in range {
                    var stream = RandomStream(key: RandomStreams.derivedKey(key, UInt64(i), 0))
                    let (inputs, labels) = masking.mask(sequences[i], stream: &stream)
                    out[i] = EncodedFeature(inputIDs: inputs, tokenTypeIDs: Array(repeating: 0, count: inputs.count),
                                            exampleIndex: i, targets: TokenLabels(labels))
                }
            }
        }
        return features.map { $0! }
    }

    /// A masked feature's original ids: its labels where it has them, its input elsewhere.
    static func unmasked(_ feature: EncodedFeature) -> [Int32] {
        guard let labels = (feature.targets as? TokenLabels)?.labels else { return feature.inputIDs }
        return zip(feature.inputIDs, labels).map { $1 == TokenLabels.ignored ? $0 : $1 }
    }

    func evaluate(_ split: Split, outputs: [FeatureOutput]) throws -> Evaluation {
        let features = try features(split)
        var lossSum = 0.0, count = 0, correct = 0
        var lines: [String] = []
        lines.reserveCapacity(features.count)
        for (feature, output) in zip(features, outputs) {
            guard let labels = (feature.targets as? TokenLabels)?.labels,
                  let losses = output.values[MaskedLMHead.maskedLossOutput],
                  let predicted = output.values[MaskedLMHead.predictedTokenOutput] else {
                throw TaskError.invalid("task `\(spec.name)`: language modelling evaluates the outputs of head `masked-lm`")
            }
            var sequenceLoss = 0.0, sequenceCount = 0, sequenceCorrect = 0
            for (i, label) in labels.enumerated() where label != TokenLabels.ignored {
                sequenceLoss += Double(losses[i])
                sequenceCount += 1
                if Int32(predicted[i]) == label { sequenceCorrect += 1 }
            }
            lossSum += sequenceLoss
            count += sequenceCount
            correct += sequenceCorrect
            var line: [String: JSONValue] = ["id": .number(Double(feature.exampleIndex)), "masked_tokens": .number(Double(sequenceCount))]
            if sequenceCount > 0 {
                line["loss"] = .number(sequenceLoss / Double(sequenceCount))
                line["accuracy"] = .number(Double(sequenceCorrect) / Double(sequenceCount))
            }
            lines.append(jsonLine(line))
        }
        guard count > 0 else {
            throw TaskError.invalid("task `\(spec.name)`: the \(split.rawValue) split has no masked token to score; give it more text or a higher mlm_probability")
        }
        let loss = lossSum / Double(count)
        let metrics = ["loss": loss, "perplexity": exp(loss), "accuracy": Double(correct) / Double(count)]
        var report = metrics.mapValues { JSONValue.number($0) }
        report["masked_tokens"] = .number(Double(count))
        report["sequences"] = .number(Double(features.count))
        return Evaluation(metrics: metrics, report: .object(report), predictions: lines)
    }

}
