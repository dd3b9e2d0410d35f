import Backbone
import Foundation
@testable import Tasks
import TaskFile
import Tokenizers
import XCTest

/// Classification encodes one feature per input, or says why it cannot: an input dropped in
/// silence left fewer features than inputs, and the server answered `inputs[0]` from nothing
/// (found by the bertkit-json fuzz target, Tests/Fixtures/fuzz/bertkit-json/).
final class ClassificationEncodingTests: XCTestCase {
    static let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-bert")

    func task(maxSeqLength: Int) throws -> ClassificationTask {
        var data = DataSpec(format: .jsonl)
        data.labels = ["negative", "positive"]
        var spec = TaskSpec(name: "sst2", head: "sequence-classification", data: data, model: Self.tinyBert)
        spec.training.maxSeqLength = maxSeqLength
        let tokenizer = try BertTokenizer(modelFolder: Self.tinyBert)
        return try ClassificationTask(context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: nil, warn: { _ in }))
    }

    let pair: JSONValue = .object(["text": .string("a cat"), "text_pair": .string("a dog")])

    func testALengthThatCannotHoldThePairsSpecialTokensIsAnError() throws {
        let task = try task(maxSeqLength: 2)
        XCTAssertThrowsError(try task.predictionFeatures(for: [pair])) { error in
            XCTAssertEqual("\(error)", "task `sst2`: max_seq_length 2 is too short: cannot truncate to max_length 2: it cannot hold the 3 special tokens")
        }
    }

    func testEveryInputGetsOneFeature() throws {
        let task = try task(maxSeqLength: 3)
        let single: JSONValue = .object(["text": .string("a cat sat")])
        let features = try task.predictionFeatures(for: [pair, single, pair])
        XCTAssertEqual(features.map(\.exampleIndex), [0, 1, 2])
        // [CLS] [SEP] [SEP]: no room for either text, the specials kept
        let tokenizer = task.tokenizer
        XCTAssertEqual(features[0].inputIDs, [tokenizer.clsId, tokenizer.sepId, tokenizer.sepId].map(Int32.init))
        XCTAssertEqual(features[1].length, 3)
    }
}
