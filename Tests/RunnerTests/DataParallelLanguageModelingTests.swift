import Foundation
import XCTest

/// `mpirun -np 2 bertkit run` of a language-modelling task (head masked-lm) trains as one
/// process does. The masks are drawn per training sequence from a key of the run's seed, the
/// epoch and the sequence's index in the split (`LanguageModelingTask.trainingFeatures`), never
/// the rank: every rank draws the same masks for every sequence, and takes its slice of each
/// global batch. The ranks sum the masked-token counts (the loss is a mean over the global
/// batch's masked tokens) and the tied word-embedding gradient, which sums the embedding
/// lookup's and the decoder's uses, before AdamW.
extension DataParallelRunTests {
    /// The masked-LM fixture (tiny-bert with a `cls.predictions` head and real words in its
    /// vocabulary) with its dropout off, so that the ranks' dropout streams do not enter the
    /// comparison.
    func tinyBertMLMWithoutDropout() throws -> URL {
        try withoutDropout(fixture: "masked-lm/tiny-bert-mlm", copyName: "tiny-bert-mlm-no-dropout")
    }

    /// 455 sentences grouped into 117 blocks of 32 tokens: 2 epochs of 8 global batches, the last
    /// one of each epoch 5 blocks, split 3 and 2; each epoch's masks drawn anew. Then the
    /// evaluations of the held-out sentences' blocks on 1 process and on 2 ranks agree,
    /// predictions byte for byte.
    func testLanguageModelingTrainsAsOneProcess() throws {
        let train = LanguageModelingEndToEndTests.lines(count: 455, seed: 1), eval = LanguageModelingEndToEndTests.lines(count: 230, seed: 2)
        try Data(train.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("train.txt"))
        try Data(eval.joined(separator: "\n").utf8).write(to: folder.appendingPathComponent("eval.txt"))
        let yaml = """
            model: \(try tinyBertMLMWithoutDropout().path)
            output: runs
            defaults: {epochs: 2, learning_rate: 2e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 32, seed: 5}
            tasks:
              - name: mlm
                head: masked-lm
                data: {format: text, train: train.txt, eval: eval.txt}
            """
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
        try trainAlike(taskFile, tasks: [ComparedTask(name: "mlm", head: "masked-lm", features: 117, predictionFiles: ["predictions.jsonl"])],
                       steps: 16)

        let metrics = try RunComparison.metrics(folder.appendingPathComponent("one/mlm"))
        XCTAssertEqual(Set(try XCTUnwrap(metrics.final["eval"]).keys), ["loss", "perplexity", "accuracy"])
    }
}
