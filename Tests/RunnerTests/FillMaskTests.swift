import Backbone
import Foundation
import Runner
import Tensor
import XCTest

/// `bertkit predict` on a masked-LM checkpoint against transformers' fill-mask pipeline on the
/// same folder (Tests/Fixtures/masked-lm: tiny-bert-mlm as transformers 5 saved it, tokenizer.json
/// and no vocab.txt, and fill-mask.reference.json): the same ids, the same top 5 tokens in the
/// same order per [MASK], probabilities within 1e-4, the same token strings and sequences. Two
/// texts hold "[PAD]" themselves (the serving-body fuzz target's finding: the fill went in at a
/// position shifted by each [PAD] before the [MASK], past the end for the last ones).
final class FillMaskTests: XCTestCase {
    static let folder = BertKitProcess.fixtures.appendingPathComponent("masked-lm/tiny-bert-mlm")

    override func setUp() { BuiltIns.register() }

    struct Reference: Decodable {
        struct Token: Decodable, Equatable { var token: Int; var token_str: String; var score: Double; var sequence: String }
        struct Example: Decodable { var input: JSONValue; var ids: [Int32]; var mask_positions: [Int]; var masks: [[Token]] }
        var top_k: Int
        var examples: [Example]
    }

    struct Output: Decodable {
        struct Mask: Decodable { var start: Int; var end: Int; var tokens: [Reference.Token] }
        var masks: [Mask]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.deletingLastPathComponent().appendingPathComponent("fill-mask.reference.json")))
    }

    func compare(_ lines: [String], with reference: Reference, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(lines.count, reference.examples.count, file: file, line: line)
        for (text, example) in zip(lines, reference.examples) {
            let output = try JSONDecoder().decode(Output.self, from: Data(text.utf8))
            XCTAssertEqual(output.masks.count, example.masks.count, "\(example.input)", file: file, line: line)
            for (mask, expected) in zip(output.masks, example.masks) {
                XCTAssertEqual(mask.tokens.map(\.token), expected.map(\.token), "\(example.input): the top \(reference.top_k) in order", file: file, line: line)
                XCTAssertEqual(mask.tokens.map(\.token_str), expected.map(\.token_str), file: file, line: line)
                XCTAssertEqual(mask.tokens.map(\.sequence), expected.map(\.sequence), file: file, line: line)
                for (a, e) in zip(mask.tokens, expected) {
                    XCTAssertEqual(a.score, e.score, accuracy: 1e-4, "\(example.input) \(e.token_str)", file: file, line: line)
                }
            }
        }
    }

    func testTheTopFiveAreThePipelines() throws {
        let reference = try Self.reference()
        let servable = try ServableModel.load(Self.folder, warn: { XCTFail("unexpected warning: \($0)") })
        XCTAssertEqual(servable.head, "masked-lm")
        XCTAssertEqual(servable.source, .transformersConfig)
        let inputs = reference.examples.map(\.input)
        let features = try servable.features(for: inputs)
        XCTAssertEqual(features.map(\.inputIDs), reference.examples.map(\.ids), "transformers' tokenizer's ids")
        XCTAssertEqual(reference.examples.map { $0.masks.count }, [1, 1, 2, 1, 1, 2], "two texts have two masks; two have [PAD] in the text")
        let outputs = try servable.run(features, batchSize: 3)
        try compare(try servable.describe(inputs, outputs: outputs), with: reference)
        // the [MASK] offsets are code points of the text
        let first = try JSONDecoder().decode(Output.self, from: Data(try servable.describe([inputs[0]], outputs: [outputs[0]])[0].utf8))
        XCTAssertEqual(first.masks.map { [$0.start, $0.end] }, [[13, 19]], "paris is the [MASK] of france.")
    }

    /// Through the executable, with --top-k; an input without [MASK] is an error naming its line.
    func testPredictCommand() throws {
        let reference = try Self.reference()
        let input = reference.examples.map { example -> String in
            guard case .object(let object) = example.input, case .string(let text)? = object["text"] else { return "" }
            return "{\"text\": \"\(text)\"}\n"
        }.joined()
        let result = try BertKitProcess.run(["predict", "--model", Self.folder.path], input: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        try compare(result.stdout.split(separator: "\n").map(String.init), with: reference)
        let three = try BertKitProcess.run(["predict", "--model", Self.folder.path, "--top-k", "3"], input: "{\"text\": \"[MASK] lives in paris\"}\n")
        XCTAssertEqual(three.status, 0, three.stderr)
        XCTAssertEqual(try JSONDecoder().decode(Output.self, from: Data(three.stdout.utf8)).masks.first?.tokens.count, 3)
        let none = try BertKitProcess.run(["predict", "--model", Self.folder.path], input: "{\"text\": \"john lives in paris\"}\n")
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("line 1: no [MASK] in \"text\""), none.stderr)
    }

    /// A config.json vocab_size above the tokenizer's tokens (vocabularies padded to a multiple of
    /// 8 or 64): each [MASK] has vocab_size logits. The fixture padded by 6 rows whose logits sit
    /// far below the rest (zero embeddings, bias -40) must give the unpadded answers, the second
    /// [MASK] of a text included.
    func testAVocabularyPaddedPastTheTokenizer() throws {
        let padded = FileManager.default.temporaryDirectory.appendingPathComponent("fill-mask-padded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: padded, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: padded) }
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(name), to: padded.appendingPathComponent(name))
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("config.json"))) as! [String: Any]
        let rows = config["vocab_size"] as! Int
        config["vocab_size"] = rows + 6
        try JSONSerialization.data(withJSONObject: config).write(to: padded.appendingPathComponent("config.json"))
        let weights = try SafeTensorsFile(contentsOf: Self.folder.appendingPathComponent("model.safetensors"))
        let tensors = try weights.names.map { name -> (name: String, tensor: Tensor) in
            let tensor = try weights.tensor(named: name)
            if name == "bert.embeddings.word_embeddings.weight" {
                return (name, Tensor(shape: [rows + 6, tensor.shape[1]], values: tensor.values + [Float](repeating: 0, count: 6 * tensor.shape[1])))
            }
            if name == "cls.predictions.bias" || name == "cls.predictions.decoder.bias" {
                return (name, Tensor(shape: [rows + 6], values: tensor.values + [Float](repeating: -40, count: 6)))
            }
            return (name, tensor)
        }
        try SafeTensors.write(tensors, to: padded.appendingPathComponent("model.safetensors"))
        let reference = try Self.reference()
        let servable = try ServableModel.load(padded, warn: { XCTFail("unexpected warning: \($0)") })
        let inputs = reference.examples.map(\.input)
        let outputs = try servable.run(try servable.features(for: inputs), batchSize: 3)
        try compare(try servable.describe(inputs, outputs: outputs), with: reference)
    }
}
