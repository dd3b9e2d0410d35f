import Foundation
import XCTest
@testable import TaskFile

/// The path of a file under Tests/Fixtures/YAML, found relative to this source file.
func yamlFixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/YAML/\(name)").path
}

/// The YAMLError `body` throws; fails the test if it throws nothing or something else.
func expectYAMLError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath,
                        line: UInt = #line) -> YAMLError? {
    do {
        let value = try body()
        XCTFail("expected a YAMLError, got \(value)", file: file, line: line)
    } catch let error as YAMLError {
        return error
    } catch {
        XCTFail("expected a YAMLError, got \(error)", file: file, line: line)
    }
    return nil
}

final class YAMLParserTests: XCTestCase {
    func testRealisticTaskFileKeepsPositions() throws {
        let path = yamlFixturePath("tasks.yaml")
        let root = try YAMLParser.parse(contentsOfFile: path)
        let top = try root.mapping()
        XCTAssertEqual(top.keys, ["model", "output", "defaults", "tasks"])
        XCTAssertEqual(top.entry("model")?.keyPosition, .file(path: path, line: 2, column: 1))
        XCTAssertEqual(top["model"]?.position, .file(path: path, line: 2, column: 8))
        XCTAssertEqual(top["model"]?.scalar, YAMLScalar("models/all-MiniLM-L6-v2"))

        // Flow mapping over two lines: the mapping at its brace, keys and values where they stand.
        let defaults = try top.nestedMapping("defaults")
        XCTAssertEqual(defaults.position, .file(path: path, line: 4, column: 11))
        XCTAssertEqual(defaults.keys, ["epochs", "batch_size", "learning_rate", "max_seq_length",
                                       "warmup_ratio", "weight_decay", "seed"])
        XCTAssertEqual(defaults.entry("learning_rate")?.keyPosition, .file(path: path, line: 4, column: 39))
        XCTAssertEqual(defaults["learning_rate"]?.position, .file(path: path, line: 4, column: 54))
        XCTAssertEqual(defaults.entry("warmup_ratio")?.keyPosition, .file(path: path, line: 5, column: 12))

        let tasks = try top.sequence("tasks")
        XCTAssertEqual(tasks.count, 3)
        XCTAssertEqual(top["tasks"]?.position, .file(path: path, line: 7, column: 3))
        XCTAssertEqual(tasks[0].position, .file(path: path, line: 7, column: 5))
        XCTAssertEqual(try tasks[0].mapping()["name"]?.position, .file(path: path, line: 7, column: 11))
        XCTAssertEqual(tasks[1].position, .file(path: path, line: 12, column: 5))
        let conllData = try tasks[1].mapping().nestedMapping("data")
        XCTAssertEqual(conllData.entry("tag_column")?.keyPosition, .file(path: path, line: 14, column: 140))
        let squad = try tasks[2].mapping()
        XCTAssertEqual(squad["doc_stride"]?.position, .file(path: path, line: 21, column: 17))
        XCTAssertEqual(squad["doc_stride"]?.position.description, "\(path):21:17")
    }

    func testScalarStylesAreKept() throws {
        let root = try YAMLParser.parse("""
            a: 42
            b: "42"
            c: '42'
            d:
            e: ~
            f: "null"
            g: !!str 42
            h: |
              text
            i: end
            """, path: "styles.yaml").mapping()
        XCTAssertEqual(root["a"]?.scalar, YAMLScalar("42", style: .plain))
        XCTAssertEqual(root["b"]?.scalar, YAMLScalar("42", style: .doubleQuoted))
        XCTAssertEqual(root["c"]?.scalar, YAMLScalar("42", style: .singleQuoted))
        XCTAssertEqual(root["d"]?.isNull, true)
        XCTAssertEqual(root["e"]?.isNull, true)
        XCTAssertEqual(root["f"]?.isNull, false)
        XCTAssertEqual(root["g"]?.scalar, YAMLScalar("42", style: .plain, tag: "tag:yaml.org,2002:str"))
        XCTAssertEqual(root["h"]?.scalar, YAMLScalar("text\n", style: .literal))
    }

    func testAliasesCopyTheAnchoredNode() throws {
        let root = try YAMLParser.parse("""
            base: &base {epochs: 3, seed: 42}
            metrics: &m [accuracy, f1]
            copy: *base
            again: *m
            """, path: "alias.yaml").mapping()
        XCTAssertEqual(root["copy"], root["base"])
        XCTAssertEqual(try root.required("again", as: [String].self), ["accuracy", "f1"])
        // Positions inside the copy are those of the definition (line 1), not of the alias.
        XCTAssertEqual(try root.nestedMapping("copy")["seed"]?.position, .file(path: "alias.yaml", line: 1, column: 31))
    }

    func testMergeKeysExplicitWinsThenEarlierMergedWins() throws {
        let root = try YAMLParser.parse("""
            small: &small {epochs: 3, batch_size: 16, seed: 1}
            fast: &fast {epochs: 1, learning_rate: 1e-4, warmup_ratio: 0.0}
            one:
              <<: *small
              seed: 7
            two:
              name: two
              <<: [*fast, *small]
              batch_size: 64
            """, path: "merge.yaml").mapping()

        let one = try root.nestedMapping("one")
        XCTAssertEqual(one.keys, ["epochs", "batch_size", "seed"])
        XCTAssertEqual(try one.required("seed", as: Int.self), 7)        // explicit beats merged
        XCTAssertEqual(try one.required("epochs", as: Int.self), 3)
        XCTAssertEqual(one.entry("epochs")?.keyPosition.line, 1)          // merged keeps its origin

        let two = try root.nestedMapping("two")
        // Merged keys sit where `<<` stood: after `name`, before `batch_size`.
        XCTAssertEqual(two.keys, ["name", "epochs", "learning_rate", "warmup_ratio", "seed", "batch_size"])
        XCTAssertEqual(try two.required("epochs", as: Int.self), 1)       // *fast listed first wins
        XCTAssertEqual(try two.required("batch_size", as: Int.self), 64)  // explicit wins
        XCTAssertEqual(try two.required("seed", as: Int.self), 1)         // only *small has it
        XCTAssertEqual(try two.required("learning_rate", as: Double.self), 1e-4)
    }

    func testQuotedMergeKeyIsAnOrdinaryKey() throws {
        let root = try YAMLParser.parse("\"<<\": {a: 1}\nb: 2\n", path: "q.yaml").mapping()
        XCTAssertEqual(root.keys, ["<<", "b"])
    }

    func testMergeOfAScalarIsAnError() throws {
        let error = expectYAMLError(try YAMLParser.parse("a: &x 3\nb:\n  <<: *x\n", path: "m.yaml"))
        XCTAssertEqual(error?.kind, .unsupported)
        XCTAssertEqual(error?.position, .file(path: "m.yaml", line: 1, column: 4))
    }

    func testDuplicateKeyNamesBothLines() throws {
        let error = expectYAMLError(try YAMLParser.parse("""
            defaults:
              epochs: 3
              seed: 1
              epochs: 4
            """, path: "dup.yaml"))
        XCTAssertEqual(error?.kind, .duplicateKey(key: "epochs", firstLine: 2))
        XCTAssertEqual(error?.position, .file(path: "dup.yaml", line: 4, column: 3))
        XCTAssertEqual(error?.description,
                       "dup.yaml:4:3: duplicate key `epochs` (first defined at line 2, again at line 4)")
    }

    func testSyntaxErrorCarriesLineColumnAndLibyamlProblem() throws {
        // A tab cannot indent YAML; libyaml stops at the tab on line 3.
        let error = expectYAMLError(try YAMLParser.parse("model: x\ntasks:\n\t- name: a\n", path: "tab.yaml"))
        XCTAssertEqual(error?.kind, .syntax)
        XCTAssertEqual(error?.position, .file(path: "tab.yaml", line: 3, column: 1))
        XCTAssertEqual(error?.description,
                       "tab.yaml:3:1: YAML syntax error: found character that cannot start any token "
                       + "(while scanning for the next token at line 3, column 1)")
    }

    func testUnclosedFlowSequenceIsASyntaxError() throws {
        let error = expectYAMLError(try YAMLParser.parse("metrics: [accuracy, f1\nseed: 3\n", path: "flow.yaml"))
        XCTAssertEqual(error?.kind, .syntax)
        XCTAssertEqual(error?.position.line, 2)
        XCTAssertTrue(error?.message.contains("did not find expected ',' or ']'") ?? false, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("line 1, column 10") ?? false, "\(String(describing: error))")
    }

    func testOnlyOneDocument() throws {
        let error = expectYAMLError(try YAMLParser.parse("a: 1\n---\nb: 2\n", path: "two.yaml"))
        XCTAssertEqual(error?.kind, .multipleDocuments)
        XCTAssertEqual(error?.position, .file(path: "two.yaml", line: 2, column: 1))
        // One explicit document is fine.
        XCTAssertEqual(try YAMLParser.parse("---\na: 1\n...\n", path: "one.yaml").mapping().keys, ["a"])
    }

    func testEmptyFileIsAnError() throws {
        XCTAssertEqual(expectYAMLError(try YAMLParser.parse("", path: "e.yaml"))?.description,
                       "e.yaml:1:1: the file is empty; expected a YAML mapping")
        XCTAssertEqual(expectYAMLError(try YAMLParser.parse("# nothing\n\n", path: "c.yaml"))?.kind, .emptyFile)
    }

    func testMissingFileIsAnError() throws {
        let error = expectYAMLError(try YAMLParser.parse(contentsOfFile: yamlFixturePath("no-such-file.yaml")))
        XCTAssertEqual(error?.kind, .unreadableFile)
    }

    func testUndefinedAndRecursiveAliases() throws {
        let undefined = expectYAMLError(try YAMLParser.parse("a: *nope\n", path: "u.yaml"))
        XCTAssertEqual(undefined?.kind, .undefinedAlias("nope"))
        XCTAssertEqual(undefined?.position, .file(path: "u.yaml", line: 1, column: 4))

        let cycle = expectYAMLError(try YAMLParser.parse("a: &loop [1, *loop]\n", path: "c.yaml"))
        XCTAssertEqual(cycle?.kind, .undefinedAlias("loop"))
        XCTAssertTrue(cycle?.message.contains("contains it") ?? false)
    }

    func testBillionLaughsIsRejectedQuicklyAndSmall() throws {
        // Nine levels of nine aliases: 9^9 ≈ 387 million strings if expanded.
        var lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...8 {
            let aliases = Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ")
            lines.append("l\(level): &l\(level) [\(aliases)]")
        }
        let text = lines.joined(separator: "\n") + "\n"
        let residentBefore = residentMegabytes()
        let start = Date()
        let error = expectYAMLError(try YAMLParser.parse(text, path: "lol.yaml"))
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(error?.kind, .tooLarge)
        // The limit (100 000 nodes) is crossed at the first alias of level 5 (9^5+... > 100 000).
        XCTAssertEqual(error?.position.line, 6)
        XCTAssertLessThan(seconds, 2.0)
        if let before = residentBefore, let after = residentMegabytes() {
            XCTAssertLessThan(after - before, 50, "resident memory grew by \(after - before) MB")
        }
    }

    func testDeepNestingIsRejected() throws {
        let text = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        let error = expectYAMLError(try YAMLParser.parse(text, path: "deep.yaml"))
        XCTAssertEqual(error?.kind, .tooLarge)
        XCTAssertEqual(error?.position, .file(path: "deep.yaml", line: 1, column: 257))
    }

    func testInvalidUTF8IsReportedAtTheByte() throws {
        // "caf" then 0xC3 0x28: 0xC3 starts a 2-byte sequence but "(" is no continuation byte.
        let bytes = Array("model: ok\nname: caf".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let error = expectYAMLError(try YAMLParser.parse(bytes: bytes, path: "bad.yaml"))
        XCTAssertEqual(error?.kind, .invalidUTF8)
        XCTAssertEqual(error?.description,
                       "bad.yaml:2:10: invalid UTF-8 (byte 0xC3); a task file must be UTF-8 text")

        // A lone continuation byte after a multi-byte character: columns count characters.
        let after = Array("é: ".utf8) + [0x80]
        XCTAssertEqual(expectYAMLError(try YAMLParser.parse(bytes: after, path: "b.yaml"))?.position,
                       .file(path: "b.yaml", line: 1, column: 4))
        // UTF-16 (with its BOM) is not UTF-8 either.
        let utf16: [UInt8] = [0xFF, 0xFE, 0x61, 0x00]
        XCTAssertEqual(expectYAMLError(try YAMLParser.parse(bytes: utf16, path: "w.yaml"))?.kind, .invalidUTF8)
    }

    func testNonASCIITextAndColumns() throws {
        let root = try YAMLParser.parse("café: naïve\nx: 1\n", path: "u.yaml").mapping()
        XCTAssertEqual(root["café"]?.scalar?.value, "naïve")
        XCTAssertEqual(root["café"]?.position, .file(path: "u.yaml", line: 1, column: 7))
    }

    private func residentMegabytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ")[1]) else { return nil }
        return kilobytes / 1024
    }
}
