import Foundation
import XCTest
@testable import Tokenizers

/// tokenizer.json as the vocabulary of a model folder (transformers 5 writes no vocab.txt): the
/// same ids as transformers' tokenizer and as vocab.txt, its settings read, and everything
/// BertKit cannot reproduce refused by key path, value and what is supported.
final class TokenizerJSONFileTests: XCTestCase {
    /// Tests/Fixtures/hf-checkpoints (generate.py there): token-classification has tokenizer.json
    /// only, the other two vocab.txt and special_tokens_map.json beside it.
    static let checkpoints = tokenizerFixtures.deletingLastPathComponent().appendingPathComponent("hf-checkpoints")

    struct Reference: Decodable {
        struct Text: Decodable { var text: String; var ids: [Int]; var offsets: [[Int]] }
        struct Pair: Decodable { var text: String; var text_pair: String; var ids: [Int]; var type_ids: [Int] }
        var texts: [Text]
        var pair: Pair
    }

    func testTokenizerJSONGivesTransformersIdsAndOffsets() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.checkpoints.appendingPathComponent("tokenizer.reference.json")))
        let folder = Self.checkpoints.appendingPathComponent("token-classification")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path))
        let fromJSON = try BertTokenizer(modelFolder: folder)
        let fromVocab = try BertTokenizer(modelFolder: Self.checkpoints.appendingPathComponent("sequence-classification"))
        XCTAssertEqual(fromJSON.vocabulary.tokens, fromVocab.vocabulary.tokens)
        XCTAssertEqual(fromJSON.options, fromVocab.options)
        XCTAssertEqual(fromJSON.vocabulary.count, 2000)
        XCTAssertEqual([fromJSON.padId, fromJSON.unkId, fromJSON.clsId, fromJSON.sepId, fromJSON.maskId], [0, 100, 101, 102, 103])
        XCTAssertGreaterThan(reference.texts.count, 8)
        var continuations = 0
        for row in reference.texts {
            let encoding = fromJSON.encode(row.text)
            XCTAssertEqual(encoding.ids, row.ids, row.text)
            XCTAssertEqual(encoding.offsets, row.offsets.map { $0[0]..<$0[1] }, row.text)
            XCTAssertEqual(fromVocab.encode(row.text).ids, row.ids, "vocab.txt: \(row.text)")
            continuations += encoding.tokens.filter { $0.hasPrefix("##") }.count
        }
        XCTAssertGreaterThan(continuations, 10, "the fixture's texts exercise ## pieces")
        let pair = fromJSON.encode(reference.pair.text, pair: reference.pair.text_pair)
        XCTAssertEqual(pair.ids, reference.pair.ids)
        XCTAssertEqual(pair.typeIds, reference.pair.type_ids)
    }

    // MARK: - Settings and refusals, on small hand-written files

    private func folder(_ tokenizer: [String: Any], config: [String: Any]? = nil, specialTokensMap: [String: Any]? = nil) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: url.appendingPathComponent("tokenizer.json"))
        if let config { try JSONSerialization.data(withJSONObject: config).write(to: url.appendingPathComponent("tokenizer_config.json")) }
        if let specialTokensMap {
            try JSONSerialization.data(withJSONObject: specialTokensMap).write(to: url.appendingPathComponent("special_tokens_map.json"))
        }
        return url
    }

    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<s>", "</s>", "hello", "world", "##s", "cafe", "é", "北", ",", "!"]

    /// A BERT tokenizer.json as the Rust library writes one.
    static func bertTokenizerJSON() -> [String: Any] {
        func special(_ token: String) -> [String: Any] {
            ["id": vocabulary.firstIndex(of: token)!, "content": token, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": true]
        }
        func piece(_ kind: String, _ id: String, _ type: Int) -> [String: Any] { [kind: ["id": id, "type_id": type]] }
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map(special),
            "normalizer": ["type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": NSNull(), "lowercase": true],
            "pre_tokenizer": ["type": "BertPreTokenizer"],
            "post_processor": [
                "type": "TemplateProcessing",
                "single": [piece("SpecialToken", "[CLS]", 0), piece("Sequence", "A", 0), piece("SpecialToken", "[SEP]", 0)],
                "pair": [piece("SpecialToken", "[CLS]", 0), piece("Sequence", "A", 0), piece("SpecialToken", "[SEP]", 0),
                         piece("Sequence", "B", 1), piece("SpecialToken", "[SEP]", 1)],
                "special_tokens": ["[CLS]": ["id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]],
                                   "[SEP]": ["id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]]],
            ] as [String: Any],
            "decoder": ["type": "WordPiece", "prefix": "##", "cleanup": true],
            "model": ["type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                      "vocab": Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($0.element, $0.offset) })] as [String: Any],
        ]
    }

    func testReadsTheNormalizerAndModelSettings() throws {
        let plain = try BertTokenizer(modelFolder: try folder(Self.bertTokenizerJSON()))
        XCTAssertEqual(plain.vocabulary.tokens, Self.vocabulary)
        XCTAssertEqual(plain.encode("Hello worlds, Café 北!").tokens,
                       ["[CLS]", "hello", "world", "##s", ",", "cafe", "北", "!", "[SEP]"])
        XCTAssertEqual(plain.encode("hello", pair: "world").typeIds, [0, 0, 0, 1, 1])

        var json = Self.bertTokenizerJSON()
        json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "BertNormalizer", "clean_text": true,
                              "handle_chinese_chars": false, "strip_accents": false, "lowercase": false]]]
        var model = json["model"] as! [String: Any]
        model["max_input_chars_per_word"] = 5
        json["model"] = model
        let cased = try BertTokenizer(modelFolder: try folder(json))
        XCTAssertFalse(cased.options.lowercase)
        XCTAssertEqual(cased.options.stripAccents, false)
        XCTAssertFalse(cased.options.tokenizeChineseChars)
        XCTAssertEqual(cased.options.maxCharactersPerWord, 5)
        // cased (Hello is unknown), words over 5 characters unknown (worlds), accents kept (café)
        XCTAssertEqual(cased.encode("Hello hello worlds café").tokens, ["[CLS]", "[UNK]", "hello", "[UNK]", "[UNK]", "[SEP]"])

        // tokenizer_config.json's keys win over the normalizer's (transformers' BERT tokenizer
        // builds its normalizer from them); special_tokens_map.json's tokens win over both
        let config: [String: Any] = ["do_lower_case": true, "strip_accents": NSNull(), "mask_token": "<s>"]
        let overridden = try BertTokenizer(modelFolder: try folder(json, config: config, specialTokensMap: ["mask_token": "[MASK]"]))
        XCTAssertTrue(overridden.options.lowercase)
        XCTAssertNil(overridden.options.stripAccents)
        XCTAssertFalse(overridden.options.tokenizeChineseChars, "absent from tokenizer_config.json: the normalizer's")
        XCTAssertEqual(overridden.options.maskToken, "[MASK]")
        XCTAssertEqual(overridden.encode("Hello [MASK]").tokens, ["[CLS]", "hello", "[MASK]", "[SEP]"])
        // without the map, the mask token is <s>, and tokenizer.json's added [MASK] (kept whole by
        // transformers) would no longer be kept whole by BertKit: refused
        XCTAssertThrowsError(try BertTokenizer(modelFolder: try folder(json, config: config))) { error in
            XCTAssertTrue("\(error)".contains("added_tokens[4].content is \"[MASK]\""), "\(error)")
        }
    }

    func testBertProcessingIsReadToo() throws {
        var json = Self.bertTokenizerJSON()
        json["post_processor"] = ["type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]]
        XCTAssertEqual(try BertTokenizer(modelFolder: try folder(json)).encode("hello").ids, [2, 7, 3])
    }

    /// Each change BertKit cannot honour, and the words its message must hold.
    func testRefusesWhatBertKitCannotReproduceByName() throws {
        func changed(_ key: String, _ value: Any) -> [String: Any] {
            var json = Self.bertTokenizerJSON()
            json[key] = value
            return json
        }
        func changedModel(_ key: String, _ value: Any) -> [String: Any] {
            var model = Self.bertTokenizerJSON()["model"] as! [String: Any]
            model[key] = value
            return changed("model", model)
        }
        func changedAddedToken(_ index: Int, _ key: String, _ value: Any) -> [String: Any] {
            var tokens = Self.bertTokenizerJSON()["added_tokens"] as! [[String: Any]]
            if index == tokens.count { tokens.append(["id": 5, "content": "<s>", "special": true]) }
            tokens[index][key] = value
            return changed("added_tokens", tokens)
        }
        let cases: [(json: [String: Any], config: [String: Any]?, expected: [String])] = [
            (changedModel("type", "BPE"), nil, ["model.type is \"BPE\"", "\"WordPiece\""]),
            (changedModel("continuing_subword_prefix", "@@"), nil, ["model.continuing_subword_prefix is \"@@\"", "\"##\""]),
            (changedModel("vocab", ["[PAD]": 0, "[UNK]": 2]), nil, ["model.vocab[\"[UNK]\"] is 2", "ids 0..<2"]),
            (changed("normalizer", ["type": "NFD"]), nil, ["normalizer.type is \"NFD\"", "BertNormalizer"]),
            (changed("normalizer", ["type": "Sequence", "normalizers": [["type": "NFD"], ["type": "Lowercase"]]]), nil,
             ["normalizer.normalizers is [{\"type\":\"NFD\"},{\"type\":\"Lowercase\"}]", "exactly a BertNormalizer"]),
            (changed("normalizer", ["type": "BertNormalizer", "clean_text": false, "lowercase": true]), nil,
             ["normalizer.clean_text is false", "true"]),
            (changed("normalizer", NSNull()), nil, ["normalizer is null", "a BertNormalizer"]),
            (changed("pre_tokenizer", ["type": "Whitespace"]), nil, ["pre_tokenizer.type is \"Whitespace\"", "BertPreTokenizer"]),
            (changed("post_processor", ["type": "RobertaProcessing", "sep": ["</s>", 6], "cls": ["<s>", 5]]), nil,
             ["post_processor.type is \"RobertaProcessing\"", "TemplateProcessing or BertProcessing"]),
            (changed("post_processor", ["type": "BertProcessing", "sep": ["</s>", 6], "cls": ["<s>", 5]]), nil,
             ["post_processor is adding \"<s>\"", "cls_token \"[CLS]\""]),
            (changed("post_processor", ["type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 7]]), nil,
             ["post_processor (cls) is \"[CLS]\" with id 7", "model.vocab (2)"]),
            (changedAddedToken(5, "content", "<s>"), nil, ["added_tokens[5].content is \"<s>\"", "special tokens"]),
            (changedAddedToken(4, "lstrip", true), nil, ["added_tokens[4].lstrip is true for \"[MASK]\"", "false"]),
            (changedAddedToken(1, "normalized", true), nil, ["added_tokens[1].normalized is true for \"[UNK]\""]),
            (changedAddedToken(0, "id", 9), nil, ["added_tokens[0].id is 9", "model.vocab (0)"]),
        ]
        for (json, config, expected) in cases {
            let url = try folder(json, config: config)
            XCTAssertThrowsError(try BertTokenizer(modelFolder: url), expected[0]) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix(url.appendingPathComponent("tokenizer.json").path + ": "), message)
                for part in expected { XCTAssertTrue(message.contains(part), "\(message)\nlacks: \(part)") }
            }
        }
    }

    func testAFolderWithNeitherFileNamesBoth() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try BertTokenizer(modelFolder: url)) { error in
            XCTAssertEqual("\(error)", "vocabulary file not found: \(url.appendingPathComponent("vocab.txt").path) (a model folder needs vocab.txt or tokenizer.json)")
        }
    }
}
