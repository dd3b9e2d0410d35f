import Backbone
import Foundation
import Heads
import Tasks
import TaskFile
import Tensor
import Tokenizers

/// The batch of `bertkit bench train --head masked-lm`: a (B, T) batch whose labels ask for about
/// 15% of the tokens, as a language-modelling task trains on. The head runs its transform and
/// vocabulary-sized GEMM at those positions only, so the share asked for is what the step's
/// cost depends on, beside B x T.
enum MaskedLMBenchBatch {
    /// Blocks `first ..< first + batch` of a plain-text file, made by the language-modeling task
    /// kind itself (run_mlm.py's group_texts, then DataCollatorForLanguageModeling's masks, drawn
    /// from seed 42) with the tokenizer of `modelFolder`: the same text as the PyTorch peer's
    /// (benchmarks/mlm_peer.py).
    static func fromText(_ file: URL, modelFolder: URL, batch: Int, sequenceLength: Int, first: Int) throws -> (TokenBatch, any HeadTargets) {
        var data = DataSpec(format: .text)
        data.train = file
        var training = TrainingSettings()
        training.maxSeqLength = sequenceLength
        let spec = TaskSpec(name: "bench", head: BuiltInHeads.maskedLM.name, data: data, training: training, model: modelFolder)
        let tokenizer = try BertTokenizer(modelFolder: modelFolder)
        let kind = try TaskKindRegistry.make(BuiltInHeads.maskedLM.taskKind,
                                             context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: nil, warn: { _ in }))
        // whole blocks only: a short last block would make the batch a shorter one
        let features = try kind.features(.train).filter { $0.length == sequenceLength }
        guard features.count >= first + batch else {
            throw CLIError("--text \(file.path): \(features.count) blocks of \(sequenceLength) tokens, fewer than the \(first + batch) the batch needs")
        }
        let made = FeatureBatch(features: features, indices: Array(first..<(first + batch)), padID: Int32(tokenizer.padId))
        return (made.tokens, made.targets!)
    }

    /// Random tokens, [CLS] first, each other position asked for with probability 0.15 (its
    /// input left as it is: which id the model reads there changes nothing of the work).
    static func random(vocabularySize: Int, batch: Int, sequenceLength: Int, seed: UInt64) -> (TokenBatch, any HeadTargets) {
        var stream = RandomStream(key: seed)
        let ids = (0..<(batch * sequenceLength)).map { i in
            i % sequenceLength == 0 ? Int32(101) : Int32(1000 + stream.nextInt(below: vocabularySize - 1000))
        }
        let labels = ids.indices.map { i in
            i % sequenceLength != 0 && stream.nextUniform() < 0.15 ? ids[i] : TokenLabels.ignored
        }
        return (TokenBatch(batchSize: batch, sequenceLength: sequenceLength, inputIDs: ids), TokenLabels(labels))
    }
}
