import Backbone
import Foundation
import Runner
import XCTest

/// Checkpoints the server tests serve: tiny-bert's transformers BertFor* folders (random
/// weights, 64 positions) copied with its tokenizer files into a temporary folder, with the
/// bertkit.json that `bertkit run` would have written beside them.
enum ServingFixtures {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let tinyBert = testsDirectory.appendingPathComponent("Fixtures/tiny-bert")

    enum Kind: String, CaseIterable {
        case classification, tokenClassification, questionAnswering

        var folder: String {
            switch self {
            case .classification: return "sequence-classification"
            case .tokenClassification: return "token-classification"
            case .questionAnswering: return "question-answering"
            }
        }
        var head: String {
            switch self {
            case .classification: return "sequence-classification"
            case .tokenClassification: return "token-classification"
            case .questionAnswering: return "span-extraction"
            }
        }
        var taskKind: String {
            switch self {
            case .classification: return "classification"
            case .tokenClassification: return "token-classification"
            case .questionAnswering: return "span-extraction"
            }
        }
        var labels: [String] {
            switch self {
            case .classification: return ["negative", "neutral", "positive"]
            case .tokenClassification: return ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
            case .questionAnswering: return []
            }
        }
    }

    /// Registers the built-in heads and task kinds, as the executable does (once per process).
    static let registered: Void = BuiltIns.register()

    /// A new checkpoint folder of `kind` (the caller removes `.deletingLastPathComponent()`).
    static func checkpoint(_ kind: Kind) throws -> URL {
        _ = registered
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-serve-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("best")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: tinyBert.appendingPathComponent("\(kind.folder)/\(name)"), to: folder.appendingPathComponent(name))
        }
        for name in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: tinyBert.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        var manifest: [String: JSONValue] = [
            "task": .string("serve-\(kind.rawValue)"), "head": .string(kind.head), "headConfig": .object([:]),
            "taskKind": .string(kind.taskKind), "labels": .array(kind.labels.map { .string($0) }), "maxSeqLength": .number(64),
        ]
        if kind == .questionAnswering {
            manifest["docStride"] = .number(16)
            manifest["maxAnswerLength"] = .number(30)
            manifest["nBestSize"] = .number(20)
        }
        try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent("bertkit.json"))
        return folder
    }

    /// Words tiny-bert's vocabulary knows (single characters and its first whole words) and a
    /// few it does not ([UNK]), with a non-ASCII one so that code-point offsets are exercised.
    static let words = ["the", "of", "and", "in", "a", "b", "c", "x", "y", "z", "1", "2", "7", "!", "?", ",", "é", "Zürich", "river", "ü"]

    /// A deterministic text of `count` words, different for each `seed`.
    static func text(seed: Int, count: Int) -> String {
        (0..<count).map { words[(seed * 7 + $0 * ($0 + seed + 3)) % words.count] }.joined(separator: " ")
    }

    /// What predict's input looks like for `kind`: texts of 3 to 40 words (tiny-bert takes 64
    /// tokens: the longest are truncated, or windowed for NER and QA).
    static func input(_ kind: Kind, seed: Int) -> JSONValue {
        let length = 3 + (seed * 13) % 38
        switch kind {
        case .classification:
            var object: [String: JSONValue] = ["text": .string(text(seed: seed, count: length))]
            if seed % 3 == 0 { object["text_pair"] = .string(text(seed: seed + 100, count: 4 + seed % 9)) }
            return .object(object)
        case .tokenClassification:
            return .object(["text": .string(text(seed: seed, count: length + (seed % 4 == 0 ? 60 : 0)))])
        case .questionAnswering:
            return .object(["question": .string(text(seed: seed + 50, count: 3 + seed % 5)),
                            "context": .string(text(seed: seed, count: length + (seed % 3 == 0 ? 80 : 0)))])
        }
    }

    static func json(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            XCTFail("not JSON: \(text)", file: file, line: line)
            throw error
        }
    }

    /// The answer `bertkit predict` gives for one input alone (the same ServableModel calls).
    static func answerAlone(_ model: ServableModel, _ input: JSONValue) throws -> JSONValue {
        let outputs = try model.run(try model.features(for: [input]), batchSize: 1)
        return try parse(try model.describe([input], outputs: outputs)[0])
    }

    /// Same strings, booleans and structure; numbers within `tolerance` (offsets, being
    /// integers, must then be equal).
    static func assertSameAnswer(_ served: JSONValue, _ alone: JSONValue, tolerance: Double = 1e-5, at path: String = "answer",
                                 file: StaticString = #filePath, line: UInt = #line) {
        switch (served, alone) {
        case (.number(let a), .number(let b)):
            XCTAssertEqual(a, b, accuracy: tolerance, path, file: file, line: line)
        case (.array(let a), .array(let b)):
            XCTAssertEqual(a.count, b.count, "\(path): lengths", file: file, line: line)
            for (index, pair) in zip(a, b).enumerated() {
                assertSameAnswer(pair.0, pair.1, tolerance: tolerance, at: "\(path)[\(index)]", file: file, line: line)
            }
        case (.object(let a), .object(let b)):
            XCTAssertEqual(Set(a.keys), Set(b.keys), "\(path): keys", file: file, line: line)
            // A QA answer: the fixture's contexts repeat with a period (text(seed:count:)), so the
            // same span text can stand in two windows of identical tokens, whose scores then tie
            // up to rounding; where a batch's GEMM rounds otherwise (OpenBLAS on AVX2 picks its
            // kernel by row count) either occurrence is the answer alone. The text and the score
            // must still match; the offsets may name the other occurrence.
            let tiedOccurrence = a["answer"] != nil && a["answer"] == b["answer"] && a["start"] != b["start"]
            for (key, value) in a where !(tiedOccurrence && (key == "start" || key == "end")) {
                if let other = b[key] { assertSameAnswer(value, other, tolerance: tolerance, at: "\(path).\(key)", file: file, line: line) }
            }
        default:
            XCTAssertEqual(served, alone, path, file: file, line: line)
        }
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }
    var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
