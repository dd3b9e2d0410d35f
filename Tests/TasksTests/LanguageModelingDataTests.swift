import Foundation
import XCTest
import Heads
@testable import Tasks
import TaskFile
import Tensor
import Tokenizers

/// Language modelling's data: the texts of a file, run_mlm.py's blocks (grouped or line by line),
/// the masks of each epoch, and its `bertkit validate` checks.
final class LanguageModelingDataTests: XCTestCase {
    /// The masked-LM fixture's tokenizer (tokenizer.json only): tiny-bert's vocabulary with the
    /// words john, lives, paris, ... (Tests/Fixtures/masked-lm).
    static let tokenizer = try! BertTokenizer(modelFolder: QAFixtures.root.appendingPathComponent("masked-lm/tiny-bert-mlm"))
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lm-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ name: String, _ text: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func ids(_ text: String) -> [Int32] { Self.tokenizer.encode(text).ids.map(Int32.init) }

    /// Each text as `[CLS] text [SEP]` (an empty one as `[CLS] [SEP]`), concatenated, cut into
    /// blocks of exactly the block size; the remainder is dropped.
    func testGroupedTextsAreConcatenatedAndCut() {
        let texts = ["john lives in paris", "", "mary met anna"]
        let stream = ids(texts[0]) + ids(texts[1]) + ids(texts[2])
        XCTAssertEqual(stream.count, 13)
        XCTAssertEqual(ids(""), [Int32(Self.tokenizer.clsId), Int32(Self.tokenizer.sepId)])
        let blocks = TextBlocks.grouped(texts, tokenizer: Self.tokenizer, blockSize: 4)
        XCTAssertEqual(blocks, [Array(stream[0..<4]), Array(stream[4..<8]), Array(stream[8..<12])])
    }

    /// run_mlm.py groups each batch of 1,000 texts on its own: each drops its own remainder, and a
    /// batch shorter than a block becomes one short block.
    func testGroupsOfAThousandTexts() {
        let texts = Array(repeating: "paris", count: 1001)
        let blocks = TextBlocks.grouped(texts, tokenizer: Self.tokenizer, blockSize: 8)
        XCTAssertEqual(blocks.count, 375 + 1, "3,000 tokens in 8s, then the 1,001st text alone")
        XCTAssertTrue(blocks.dropLast().allSatisfy { $0.count == 8 })
        XCTAssertEqual(blocks.last, ids("paris"))
        // 1,000 texts of 3 tokens and blocks of 7: 428 blocks, 4 tokens dropped
        XCTAssertEqual(TextBlocks.grouped(Array(texts.prefix(1000)), tokenizer: Self.tokenizer, blockSize: 7).count, 428)
    }

    /// One sequence per text that is not empty or only whitespace, truncated with [SEP] kept.
    func testLineByLineDropsBlankLinesAndTruncates() throws {
        let blocks = try TextBlocks.lineByLine(["john lives in paris", "   ", "", "\u{3000}", "a b c d e f g h i j"],
                                               tokenizer: Self.tokenizer, blockSize: 6)
        XCTAssertEqual(blocks, [ids("john lives in paris"), Array(ids("a b c d")) ])
    }

    func testTextFilesKeepEmptyLinesAndJSONLReadsTheTextKey() throws {
        let text = try write("a.txt", "\u{FEFF}john\r\n\nparis\n")
        XCTAssertEqual(try TextLinesReader.read(url: text, spec: DataSpec(format: .text)), ["john", "", "paris"])
        var jsonl = DataSpec(format: .jsonl)
        let good = try write("a.jsonl", "{\"text\": \"john\"}\n\n{\"text\": \"\", \"x\": 1}\n")
        XCTAssertEqual(try TextLinesReader.read(url: good, spec: jsonl), ["john", ""])
        jsonl.text = .name("body")
        let bad = try write("b.jsonl", "{\"body\": \"john\"}\n{\"body\": 3}\n")
        XCTAssertThrowsError(try TextLinesReader.read(url: bad, spec: jsonl)) { error in
            XCTAssertEqual("\(error)", "\(bad.path):2: `body` must be a string, found the number 3.0")
        }
        let invalid = folder.appendingPathComponent("c.txt")
        try Data([0x61, 0x0A, 0xFF, 0x0A]).write(to: invalid)
        XCTAssertThrowsError(try TextLinesReader.read(url: invalid, spec: DataSpec(format: .text))) { error in
            XCTAssertEqual("\(error)", "\(invalid.path):2: the line is not valid UTF-8")
        }
    }

    func task(train: String, eval: String? = nil, seed: UInt64 = 42, wholeWords: Bool = false) throws -> LanguageModelingTask {
        var data = DataSpec(format: .text)
        data.train = try write("train.txt", train)
        if let eval { data.eval = try write("eval.txt", eval) }
        var spec = TaskSpec(name: "mlm", head: "masked-lm", data: data, model: folder)
        spec.training.maxSeqLength = 16
        spec.training.seed = seed
        spec.training.wholeWordMasking = wholeWords
        return try LanguageModelingTask(context: TaskKindContext(spec: spec, tokenizer: Self.tokenizer, checkpointLabels: nil, warn: { _ in }))
    }

    static let corpus = (0..<200).map { i in ["john lives in paris", "mary was born in rome", "anna met john near the river"][i % 3] }.joined(separator: "\n")

    /// Each epoch's masks come from its key alone (a resumed run gets them again), differ from
    /// epoch to epoch, and keep every sequence's tokens and length.
    func testEachEpochDrawsItsMasksFromItsKey() throws {
        let kind = try task(train: Self.corpus)
        let encoded = try kind.features(.train)
        let originals = TextBlocks.grouped(Self.corpus.components(separatedBy: "\n"), tokenizer: Self.tokenizer, blockSize: 16)
        XCTAssertEqual(encoded.map(LanguageModelingTask.unmasked), originals)
        let first = kind.trainingFeatures(encoded, epoch: 0, key: 11)
        let again = kind.trainingFeatures(encoded, epoch: 0, key: 11)
        let second = kind.trainingFeatures(first, epoch: 1, key: 12)
        XCTAssertEqual(first.map(\.inputIDs), again.map(\.inputIDs))
        XCTAssertEqual(first.map { ($0.targets as! TokenLabels).labels }, again.map { ($0.targets as! TokenLabels).labels })
        XCTAssertNotEqual(first.map { ($0.targets as! TokenLabels).labels }, second.map { ($0.targets as! TokenLabels).labels })
        XCTAssertEqual(second.map(LanguageModelingTask.unmasked), originals, "re-masking starts from the original tokens")
        XCTAssertEqual(second.map(\.length), encoded.map(\.length))
        // any feature's masks depend on its index and the key, not on the others
        let alone = kind.trainingFeatures(Array(encoded.prefix(3)), epoch: 0, key: 11)
        XCTAssertEqual(alone.map(\.inputIDs), Array(first.prefix(3)).map(\.inputIDs))
    }

    /// Evaluation masks are drawn once, from the seed: the same at every evaluation and in
    /// another run with the same seed.
    func testEvaluationMasksAreFixedByTheSeed() throws {
        let a = try task(train: Self.corpus, eval: Self.corpus).features(.eval)
        let b = try task(train: Self.corpus, eval: Self.corpus).features(.eval)
        let c = try task(train: Self.corpus, eval: Self.corpus, seed: 43).features(.eval)
        XCTAssertEqual(a.map(\.inputIDs), b.map(\.inputIDs))
        XCTAssertNotEqual(a.map(\.inputIDs), c.map(\.inputIDs))
        let labelled = a.flatMap { ($0.targets as! TokenLabels).labels }.filter { $0 != -100 }.count
        XCTAssertGreaterThan(labelled, 0)
    }

    /// The evaluation reads the head's per-position losses and best tokens: the mean over the
    /// masked tokens, its exponential, the share predicted right.
    func testMetricsAreTheMeanOverMaskedTokens() throws {
        let kind = try task(train: Self.corpus, eval: "john lives in paris\nmary was born in rome\n" + Self.corpus)
        let features = try kind.features(.eval)
        var expectedSum = 0.0, count = 0, right = 0
        let outputs = features.enumerated().map { n, feature -> FeatureOutput in
            let labels = (feature.targets as! TokenLabels).labels
            var losses = [Float](repeating: 0, count: labels.count), predicted = [Float](repeating: -1, count: labels.count)
            for (i, label) in labels.enumerated() where label != -100 {
                losses[i] = Float(n % 5) + 0.25
                predicted[i] = Float(i % 2 == 0 ? label : label + 1)
                expectedSum += Double(losses[i]); count += 1; right += i % 2 == 0 ? 1 : 0
            }
            return FeatureOutput(values: [MaskedLMHead.maskedLossOutput: losses, MaskedLMHead.predictedTokenOutput: predicted])
        }
        let evaluation = try kind.evaluate(.eval, outputs: outputs)
        let loss = try XCTUnwrap(evaluation.metrics["loss"])
        XCTAssertEqual(loss, expectedSum / Double(count), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(evaluation.metrics["perplexity"]), exp(loss), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(evaluation.metrics["accuracy"]), Double(right) / Double(count), accuracy: 1e-12)
        XCTAssertEqual(evaluation.predictions.count, features.count)
        XCTAssertEqual(kind.defaultMetric, "loss")
    }

    func testValidateNamesKeysThatMeanNothingAndAMissingTextKey() throws {
        let url = try write("a.jsonl", "{\"body\": \"john\"}\n")
        var data = DataSpec(format: .jsonl)
        data.train = url
        data.positions = ["label": "t.yaml:5:20", "format": "t.yaml:5:10"]
        let problems = LanguageModelingTask.checkData(data, fileExists: { _ in true })
        XCTAssertEqual(problems, [
            DataProblem(key: "label", message: "`data.label` has no meaning for language modelling (head masked-lm): the text is all it reads"),
            DataProblem(key: "train", message: "`data.text`: the first line of \"\(url.path)\" has no key `text` (keys: body)"),
        ])
        XCTAssertEqual(LanguageModelingTask.dataKeys, ["line_by_line"])
    }
}
