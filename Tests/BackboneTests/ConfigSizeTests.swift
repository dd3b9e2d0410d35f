import Foundation
import XCTest
import Tensor
import Tokenizers
@testable import Backbone

/// config.json sizes that would abort the process if allocated (a vocabulary of 10^12, a layer
/// count of a million, a hidden size whose square overflows) are refused with the file and the
/// key, on read or against the checkpoint, before the model is built. Each case below used to
/// trap or to ask the allocator for terabytes.
final class ConfigSizeTests: XCTestCase {
    /// A copy of tiny-bert (vocab 2000, hidden 32, 2 layers, intermediate 64, 64 positions)
    /// whose config.json is `edit`ed as text, so that numbers are written as a file would.
    private func tinyBert(editing edit: (inout String) -> Void) throws -> ModelFolder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ConfigSizeTests-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.tinyBert, to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        let configURL = url.appendingPathComponent("config.json")
        var text = try String(contentsOf: configURL, encoding: .utf8)
        edit(&text)
        try text.write(to: configURL, atomically: true, encoding: .utf8)
        return ModelFolder(url)
    }

    /// tiny-bert with `key`'s value in config.json replaced by `value` as written.
    private func tinyBert(_ key: String, _ value: String) throws -> ModelFolder {
        try tinyBert { text in
            let pattern = "\"\(key)\": [^,}\\n]+"
            guard let range = text.range(of: pattern, options: .regularExpression) else {
                // a key the fixture lacks goes in first
                text = text.replacingOccurrences(of: "{", with: "{\"\(key)\": \(value), ", range: text.range(of: "{"))
                return
            }
            text.replaceSubrange(range, with: "\"\(key)\": \(value)")
        }
    }

    /// The message of the error `BertModel.load` throws; fails the test when it loads.
    private func loadMessage(_ folder: ModelFolder, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try BertModel.load(from: folder, warn: { _ in })
            XCTFail("loaded", file: file, line: line)
            return ""
        } catch {
            XCTAssertTrue(error is BackboneError, "\(error)", file: file, line: line)
            return "\(error)"
        }
    }

    func testVocabularyOf10To12IsRefusedNamingTheFileAndKey() throws {
        for written in ["1e12", "1000000000000", "1E+12", "1000000000000.0"] {
            let folder = try tinyBert("vocab_size", written)
            XCTAssertEqual(loadMessage(folder), "\(folder.configURL.path): key `vocab_size`: 1000000000000 rows is more than "
                           + "32-bit ids can index (at most 2147483647)", written)
            XCTAssertThrowsError(try folder.config(), written)
        }
    }

    func testSizesPastInt64AreRefusedNotTrapped() throws {
        // Int(1e20) traps: each of these aborted the process on read
        for key in ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                    "max_position_embeddings", "type_vocab_size", "pad_token_id", "num_labels"] {
            let folder = try tinyBert(key, "1e20")
            XCTAssertEqual(loadMessage(folder), "\(folder.configURL.path): key `\(key)`: 1e+20 is too large for a 64-bit integer", key)
        }
        let negative = try tinyBert("num_hidden_layers", "-3")
        XCTAssertEqual(loadMessage(negative), "\(negative.configURL.path): key `num_hidden_layers`: expected a positive integer, found number(-3.0)")
    }

    func testSizesThatFitTheConfigButNotTheCheckpointAreRefusedBeforeAllocation() throws {
        let weights = Fixtures.tinyBert.appendingPathComponent("model.safetensors").path
        // 2e9 x 32 floats (256 GB) would be allocated before the loader compares shapes
        let cases: [(key: String, value: String, message: String)] = [
            ("vocab_size", "2000000000", "2000000000 does not match \(weights): its embeddings.word_embeddings.weight is [2000, 32]"),
            ("max_position_embeddings", "1000000000",
             "1000000000 does not match \(weights): its embeddings.position_embeddings.weight is [64, 32]"),
            ("type_vocab_size", "2000000000",
             "2000000000 does not match \(weights): its embeddings.token_type_embeddings.weight is [2, 32]"),
            ("intermediate_size", "1000000000",
             "1000000000 does not match \(weights): its encoder.layer.0.intermediate.dense.weight is [64, 32]"),
            ("num_hidden_layers", "1000000", "1000000 layers, but \(weights) holds tensors of 2 (encoder.layer.N.*)"),
        ]
        for (key, value, message) in cases {
            let folder = try tinyBert(key, value)
            let relocated = message.replacingOccurrences(of: weights, with: folder.weightsURL.path)
            XCTAssertEqual(loadMessage(folder), "\(folder.configURL.path): key `\(key)`: \(relocated)", key)
        }
        let wide = try tinyBert("hidden_size", "4000")
        XCTAssertEqual(loadMessage(wide), "\(wide.configURL.path): key `hidden_size`: 4000 does not match "
                       + "\(wide.weightsURL.path): its embeddings.word_embeddings.weight is [2000, 32]")
    }

    func testAParameterCountPastTheCheckpointIsRefused() throws {
        // a checkpoint holding none of the tensors that name a size: only the total can tell
        let folder = try tinyBert { _ in }
        let one = Tensor(shape: [4], values: [1, 2, 3, 4])
        try SafeTensors.write([("encoder.layer.0.output.dense.bias", one), ("encoder.layer.1.output.dense.bias", one)],
                              to: folder.weightsURL)
        let config = try folder.config()
        let needed = try XCTUnwrap(config.parameterCount(withPooler: false))
        XCTAssertEqual(loadMessage(folder), "\(folder.configURL.path): the model it describes has \(needed) parameters, "
                       + "more than twice the 8 values \(folder.weightsURL.path) holds")
    }

    func testSizesWhoseProductOverflowsAreRefusedOnRead() throws {
        // 4e9^2 x 4 query/key/value/output weights overflows Int64
        let wide = try tinyBert { text in
            text = text.replacingOccurrences(of: "\"hidden_size\": 32", with: "\"hidden_size\": 4000000000")
                .replacingOccurrences(of: "\"num_attention_heads\": 4", with: "\"num_attention_heads\": 1")
        }
        XCTAssertEqual(loadMessage(wide), "\(wide.configURL.path): the model it describes (vocab_size 2000, hidden_size 4000000000, "
                       + "num_hidden_layers 2, intermediate_size 64, max_position_embeddings 64) has more bytes than a 64-bit count holds")
        let deep = try tinyBert("num_hidden_layers", "1000000000000000")
        XCTAssertTrue(loadMessage(deep).hasSuffix("has more bytes than a 64-bit count holds"), loadMessage(deep))
    }

    func testPaddingIdAndDropoutThatWouldTrapLaterAreRefused() throws {
        // Int32(pad_token_id) in the embeddings trapped past 2^31; any id past the vocabulary is wrong
        let pad = try tinyBert("pad_token_id", "5000000000")
        XCTAssertEqual(loadMessage(pad), "\(pad.configURL.path): key `pad_token_id`: 5000000000 is outside the vocabulary (vocab_size 2000)")
        // the dropout ops stop the process on p >= 1 at the first training step
        for key in ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"] {
            for value in ["1.0", "-0.5"] {
                let folder = try tinyBert(key, value)
                XCTAssertEqual(loadMessage(folder), "\(folder.configURL.path): key `\(key)`: \(Float(value)!) is not a dropout probability in [0, 1)")
            }
        }
        XCTAssertEqual(try tinyBert("classifier_dropout", "0.25").config().classifierDropout, 0.25)
    }

    func testFloatsPastFloat32AndNegativeEpsilonsAreRefused() throws {
        // found by the config-json fuzz target: 1e212 read as an infinite Float, the model ran on
        // it, and a checkpoint's config.json could not be written (JSON has no infinity)
        for key in ["layer_norm_eps", "initializer_range", "hidden_dropout_prob", "classifier_dropout"] {
            let folder = try tinyBert(key, "1e212")
            XCTAssertEqual(loadMessage(folder), "\(folder.configURL.path): key `\(key)`: 1e+212 does not fit a 32-bit float", key)
        }
        for key in ["layer_norm_eps", "initializer_range"] {
            let folder = try tinyBert(key, "-1e-12")
            XCTAssertEqual(loadMessage(folder), "\(folder.configURL.path): key `\(key)`: -1e-12 is negative: expected a number >= 0", key)
        }
        XCTAssertEqual(try tinyBert("layer_norm_eps", "0").config().layerNormEps, 0)
        XCTAssertEqual(try tinyBert("layer_norm_eps", "1e-5").config().layerNormEps, 1e-5)
    }

    func testTheParameterCountIsTheModelsOwn() throws {
        let config = try ModelFolder(Fixtures.tinyBert).config()
        for pooler in [true, false] {
            let model = BertModel(config: config, withPooler: pooler)
            XCTAssertEqual(config.parameterCount(withPooler: pooler), model.namedParameters.reduce(0) { $0 + $1.tensor.count })
        }
        XCTAssertNil(BertConfig(vocabSize: 1 << 40, hiddenSize: 1 << 30).parameterCount())
    }

    func testALabelNamedTwiceIsSavedWithoutTrapping() throws {
        // label2id is built from id2label; two classes of one name keep the later, as transformers
        var config = BertConfig()
        config.id2label = [0: "same", 1: "same", 2: "other"]
        XCTAssertEqual(config.json["label2id"], .object(["same": .number(1), "other": .number(2)]))
    }

    func testATokenizerLargerThanTheEmbeddingTableIsRefused() throws {
        let folder = try tinyBert("vocab_size", "1500")
        let config = try folder.config()
        let tokenizer = try BertTokenizer(modelFolder: folder.url)
        XCTAssertThrowsError(try folder.checkVocabulary(of: tokenizer, against: config)) { error in
            XCTAssertEqual("\(error)", "\(folder.configURL.path): key `vocab_size`: 1500 is less than the 2000 tokens of "
                           + "\(folder.vocabURL.path): token ids from 1500 on would have no embedding")
        }
        XCTAssertNoThrow(try folder.checkVocabulary(of: tokenizer, against: try ModelFolder(Fixtures.tinyBert).config()))
    }
}
