import Foundation
import XCTest
import Backbone
import Heads
import Tensor
import Tokenizers
@testable import Runner

/// `bertkit bench train --head masked-lm`: its batch from a text file is the text's blocks as
/// run_mlm.py cuts them, masked at non-special tokens only; the step it times is the masked-LM
/// step (its loss runs the decoder); the options are checked before any work.
final class MaskedLMBenchTests: XCTestCase {
    static let model = BertKitProcess.fixtures.appendingPathComponent("masked-lm/tiny-bert-mlm")
    var folder: URL!

    override func setUpWithError() throws {
        BuiltIns.register()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-mlm-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func writeText() throws -> (URL, [String]) {
        let lines = LanguageModelingEndToEndTests.lines(count: 120, seed: 3)
        let url = folder.appendingPathComponent("text.txt")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return (url, lines)
    }

    /// Rows 4-7 of the blocks of 16: the texts' `[CLS] text [SEP]` tokens concatenated and cut at
    /// 64, 80, 96, 112, where the labels ask for the original token and the input shows [MASK],
    /// a random token or the original.
    func testTheBatchFromTextIsTheTextsBlocksMaskedAtOrdinaryTokens() throws {
        let (url, lines) = try writeText()
        let (tokens, targets) = try MaskedLMBenchBatch.fromText(url, modelFolder: Self.model, batch: 4, sequenceLength: 16, first: 4)
        XCTAssertEqual([tokens.batchSize, tokens.sequenceLength], [4, 16])
        let labels = try XCTUnwrap(targets as? TokenLabels).labels
        XCTAssertEqual(labels.count, 64)

        let tokenizer = try BertTokenizer(modelFolder: Self.model)
        let stream = lines.flatMap { tokenizer.encode($0).ids.map(Int32.init) }
        let expected = Array(stream[64..<128])
        let inputs = tokens.inputIDs
        let special = Set(tokenizer.specialIds.map(Int32.init))
        var asked = 0
        for i in 0..<64 {
            if labels[i] == TokenLabels.ignored {
                XCTAssertEqual(inputs[i], expected[i], "position \(i) is not asked for: its token as the text has it")
            } else {
                asked += 1
                XCTAssertEqual(labels[i], expected[i], "position \(i): the label is the text's token")
                XCTAssertFalse(special.contains(expected[i]), "position \(i): a special token is never asked for")
            }
        }
        XCTAssertGreaterThan(asked, 0)
        XCTAssertLessThan(asked, 32, "about 15% of 64 positions")

        // a text too short for the batch says so
        XCTAssertThrowsError(try MaskedLMBenchBatch.fromText(url, modelFolder: Self.model, batch: 4, sequenceLength: 16, first: 10_000)) { error in
            XCTAssertTrue("\(error)".contains("fewer than the 10004 the batch needs"), "\(error)")
        }
    }

    /// The timed step is the masked-LM one: 5 timed steps, a cross-entropy in the breakdown, and
    /// the decoder's bias moved by AdamW (only the masked-LM loss reaches it).
    func testTheTimedStepTrainsTheMaskedLM() throws {
        let (url, _) = try writeText()
        var stream = RandomStream(key: 0)
        let model = try TaskModel.load(from: ModelFolder(Self.model), descriptor: BuiltInHeads.maskedLM, labels: [], stream: &stream, warn: { _ in })
        var benchmark = ModelBenchmark(model: model, batchSize: 4, sequenceLength: 16, steps: 5, warmup: 2)
        benchmark.trainingBatch = try MaskedLMBenchBatch.fromText(url, modelFolder: Self.model, batch: 4, sequenceLength: 16, first: 0)
        let bias = model.parameterDictionary["cls.predictions.bias"]!.values
        let sample = try benchmark.train()
        XCTAssertEqual(sample.seconds.count, 5)
        XCTAssertGreaterThan(sample.breakdown["loss"] ?? 0, 0, "\(sample.breakdown)")
        XCTAssertNotEqual(model.parameterDictionary["cls.predictions.bias"]!.values, bias, "AdamW stepped the decoder's bias")
    }

    func testTheMaskedLMOptionsAreCheckedBeforeWork() throws {
        for (arguments, message) in [
            (["train", "--head", "masked-lm", "--text", "any.txt"], "--text needs --head masked-lm and --model"),
            (["train", "--model", Self.model.path, "--text", "any.txt"], "--text needs --head masked-lm and --model"),
            (["train", "--head", "token-classification"], "--head must be sequence-classification or masked-lm"),
            (["infer", "--head", "masked-lm"], "--head masked-lm measures training steps: use `bench train`"),
        ] {
            let result = try BertKitProcess.run(["bench"] + arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
