import XCTest
@testable import TaskFile

/// A cut-down task file, decoded the way the real one is meant to be: each struct checks its keys,
/// then reads them.
private struct Defaults: YAMLDecodable {
    static let keys: Set<String> = ["epochs", "batch_size", "learning_rate", "max_seq_length",
                                    "warmup_ratio", "weight_decay", "seed"]
    var epochs: Int
    var batchSize: Int
    var learningRate: Double
    var warmupRatio: Double
    var seed: Int?

    init(yaml node: YAMLNode) throws {
        let map = try node.mapping()
        try map.rejectUnknownKeys(allowed: Self.keys)
        epochs = try map.required("epochs")
        batchSize = try map.optional("batch_size", default: 32)
        learningRate = try map.required("learning_rate")
        warmupRatio = try map.optional("warmup_ratio", default: 0)
        seed = try map.optional("seed")
    }
}

private struct TaskEntry: YAMLDecodable {
    var name: String
    var head: String
    var train: String
    var metrics: [String]
    var maxSeqLength: Int?

    init(yaml node: YAMLNode) throws {
        let map = try node.mapping()
        try map.rejectUnknownKeys(allowed: ["name", "head", "data", "metrics", "max_seq_length", "doc_stride"])
        name = try map.required("name")
        head = try map.required("head")
        train = try map.nestedMapping("data").required("train")
        metrics = try map.required("metrics")
        maxSeqLength = try map.optional("max_seq_length")
    }
}

final class YAMLDecodingTests: XCTestCase {
    private func mapping(_ text: String, path: String = "t.yaml") throws -> YAMLMapping {
        try YAMLParser.parse(text, path: path).mapping()
    }

    func testDecodesTheRealisticTaskFile() throws {
        let top = try YAMLParser.parse(contentsOfFile: yamlFixturePath("tasks.yaml")).mapping()
        let defaults: Defaults = try top.required("defaults")
        XCTAssertEqual(defaults.epochs, 3)
        XCTAssertEqual(defaults.batchSize, 32)
        XCTAssertEqual(defaults.learningRate, 5e-5)
        XCTAssertEqual(defaults.warmupRatio, 0.1)
        XCTAssertEqual(defaults.seed, 42)
        let tasks: [TaskEntry] = try top.required("tasks")
        XCTAssertEqual(tasks.map(\.name), ["sst2", "conll2003", "squad"])
        XCTAssertEqual(tasks.map(\.head), ["sequence-classification", "token-classification", "span-extraction"])
        XCTAssertEqual(tasks[0].train, "data/sst2/train.tsv")
        XCTAssertEqual(tasks[0].metrics, ["accuracy", "f1"])
        XCTAssertEqual(tasks.map(\.maxSeqLength), [nil, nil, 384])
    }

    func testUnknownKeySuggestsTheClosestAllowedKey() throws {
        let text = "defaults:\n  epochs: 3\n  lerning_rate: 3e-5\n"
        let error = expectYAMLError(try mapping(text).required("defaults", as: Defaults.self))
        XCTAssertEqual(error?.kind, .unknownKey(key: "lerning_rate", suggestion: "learning_rate"))
        XCTAssertEqual(error?.description, "t.yaml:3:3: unknown key `lerning_rate`; did you mean `learning_rate`?")

        let dashed = expectYAMLError(try mapping("{epochs: 3, learning_rate: 1, batch-size: 8}").rejectUnknownKeys(allowed: Defaults.keys))
        XCTAssertEqual(dashed?.kind, .unknownKey(key: "batch-size", suggestion: "batch_size"))
        XCTAssertEqual(dashed?.position, .file(path: "t.yaml", line: 1, column: 31))
    }

    func testUnknownKeyFarFromAllListsTheAllowedKeys() throws {
        let error = expectYAMLError(try mapping("name: a\ncolour: red\n").rejectUnknownKeys(allowed: ["name", "head"]))
        XCTAssertEqual(error?.kind, .unknownKey(key: "colour", suggestion: nil))
        XCTAssertEqual(error?.description, "t.yaml:2:1: unknown key `colour`; allowed keys: head, name")
    }

    func testWrongTypePointsAtTheValue() throws {
        let error = expectYAMLError(try mapping("defaults:\n  epochs: abc\n  learning_rate: 1e-3\n")
            .required("defaults", as: Defaults.self))
        XCTAssertEqual(error?.kind, .typeMismatch)
        XCTAssertEqual(error?.description, "t.yaml:2:11: `epochs`: expected an integer, found `abc`")
    }

    func testQuotedNumberIsAStringAndTheMessageSaysSo() throws {
        let map = try mapping("epochs: \"42\"\nname: \"42\"\n")
        XCTAssertEqual(try map.required("name", as: String.self), "42")
        let error = expectYAMLError(try map.required("epochs", as: Int.self))
        XCTAssertEqual(error?.description, "t.yaml:1:9: `epochs`: expected an integer, found the quoted string \"42\" "
                       + "(remove the quotes or tag: a quoted value is always a string)")
    }

    func testMissingKeyPointsAtTheMapping() throws {
        let text = "tasks:\n  - name: sst2\n    head: sequence-classification\n    metrics: [accuracy]\n"
        let error = expectYAMLError(try mapping(text).required("tasks", as: [TaskEntry].self))
        XCTAssertEqual(error?.kind, .missingKey("data"))
        XCTAssertEqual(error?.description, "t.yaml:2:5: missing required key `data` in this mapping")

        let flow = expectYAMLError(try mapping("defaults: {epochs: 3}\n").required("defaults", as: Defaults.self))
        XCTAssertEqual(flow?.kind, .missingKey("learning_rate"))
        XCTAssertEqual(flow?.position, .file(path: "t.yaml", line: 1, column: 11))
    }

    func testNullAndAbsentValues() throws {
        let map = try mapping("a:\nb: ~\nc: null\nd: \"null\"\ne: x\n")
        XCTAssertNil(try map.optional("a", as: String.self))
        XCTAssertNil(try map.optional("b", as: Int.self))
        XCTAssertNil(try map.optional("c", as: Double.self))
        XCTAssertNil(try map.optional("absent", as: String.self))
        XCTAssertEqual(try map.optional("d", as: String.self), "null")
        XCTAssertEqual(try map.optional("absent", default: 7), 7)
        XCTAssertEqual(try map.optional("a", default: "fallback"), "fallback")
        XCTAssertEqual(expectYAMLError(try map.required("a", as: String.self))?.description,
                       "t.yaml:1:3: `a`: expected a string, found nothing (quote it, \"\", to mean the text)")
        XCTAssertEqual(expectYAMLError(try map.required("c", as: String.self))?.message,
                       "`c`: expected a string, found null (`null`) (quote it, \"null\", to mean the text)")
        XCTAssertNil(try map.optionalNestedMapping("b"))
        XCTAssertNil(try map.optionalSequence("absent"))
        XCTAssertEqual(expectYAMLError(try map.nestedMapping("e"))?.message, "`e`: expected a mapping, found `x`")
        XCTAssertEqual(expectYAMLError(try map.sequence("e"))?.message, "`e`: expected a list, found `x`")
    }

    func testDoubles() throws {
        let accepted: [(String, Double)] = [("5e-5", 0.00005), ("1e-3", 0.001), (".5", 0.5), ("3.", 3),
                                            ("-2.5E+3", -2500), ("+0.25", 0.25), ("42", 42), ("1E3", 1000),
                                            (".inf", .infinity), ("-.Inf", -.infinity)]
        for (text, expected) in accepted {
            XCTAssertEqual(Double(yamlScalar: YAMLScalar(text)), expected, text)
        }
        XCTAssertTrue(Double(yamlScalar: YAMLScalar(".nan"))?.isNaN ?? false)
        for text in ["1e", "e5", ".", "-", "0x10", "nan", "inf", "1_000", "1.5.2", "5e-5x", " 1", "abc"] {
            XCTAssertNil(Double(yamlScalar: YAMLScalar(text)), text)
        }
        XCTAssertNil(Double(yamlScalar: YAMLScalar("5e-5", style: .singleQuoted)))
        XCTAssertEqual(Float(yamlScalar: YAMLScalar("3e-5")), Float(3e-5))
        let error = expectYAMLError(try mapping("lr: 5e-5e\n").required("lr", as: Double.self))
        XCTAssertEqual(error?.message, "`lr`: expected a number, found `5e-5e`")
    }

    func testIntegers() throws {
        let accepted: [(String, Int)] = [("42", 42), ("-3", -3), ("+7", 7), ("0", 0), ("0x1F", 31), ("007", 7)]
        for (text, expected) in accepted {
            XCTAssertEqual(Int(yamlScalar: YAMLScalar(text)), expected, text)
        }
        for text in ["3.0", "1e3", "abc", "", "0x", "1_000", "99999999999999999999", "- 3"] {
            XCTAssertNil(Int(yamlScalar: YAMLScalar(text)), text)
        }
    }

    func testBooleansFollowTheDocumentedWords() throws {
        for text in ["true", "True", "TRUE", "yes", "Yes", "on", "ON"] {
            XCTAssertEqual(Bool(yamlScalar: YAMLScalar(text)), true, text)
        }
        for text in ["false", "False", "no", "NO", "off", "Off"] {
            XCTAssertEqual(Bool(yamlScalar: YAMLScalar(text)), false, text)
        }
        for text in ["y", "n", "1", "0", "tRUE", "enabled"] {
            XCTAssertNil(Bool(yamlScalar: YAMLScalar(text)), text)
        }
        let error = expectYAMLError(try mapping("lowercase: y\n").required("lowercase", as: Bool.self))
        XCTAssertEqual(error?.message, "`lowercase`: expected a boolean (true or false), found `y`")
    }

    func testStringLists() throws {
        let map = try mapping("a: [accuracy, f1]\nb: accuracy\nc: [accuracy, ~]\nd: []\n")
        XCTAssertEqual(try map.required("a", as: [String].self), ["accuracy", "f1"])
        XCTAssertEqual(try map.required("d", as: [String].self), [])
        XCTAssertEqual(expectYAMLError(try map.required("b", as: [String].self))?.description,
                       "t.yaml:2:4: expected a list of strings, found `accuracy` (write [accuracy] for a list of one)")
        XCTAssertEqual(expectYAMLError(try map.required("c", as: [String].self))?.position,
                       .file(path: "t.yaml", line: 3, column: 15))
        XCTAssertEqual([Bool].yamlExpectation, "a list, each a boolean (true or false)")
        XCTAssertEqual([Int].yamlExpectation, "a list of integers")
    }

    func testEditDistance() {
        XCTAssertEqual(YAMLEditDistance.distance("kitten", "sitting"), 3)
        XCTAssertEqual(YAMLEditDistance.distance("", "abc"), 3)
        XCTAssertEqual(YAMLEditDistance.distance("abc", ""), 3)
        XCTAssertEqual(YAMLEditDistance.distance("learning_rate", "learning_rate"), 0)
        XCTAssertEqual(YAMLEditDistance.closest(to: "epoch", among: ["epochs", "seed"]), "epochs")
        XCTAssertNil(YAMLEditDistance.closest(to: "x", among: ["lr", "seed"]))
    }
}
