import XCTest
@testable import TaskFile

/// One pass reports every mistake of a task file, decoding and validation together, in line
/// order; a value that failed is not reported again by what depends on it.
final class TaskFileAllErrorsTests: XCTestCase {
    private let manyErrors = taskFileFixture("many-errors/tasks.yaml")
    private let heads: Set<String> = ["sequence-classification", "token-classification"]

    /// `TaskFile.load` as `bertkit validate` calls it, with the test's heads and every file present.
    private func problems(_ url: URL, overrides: [String] = [], selecting names: [String] = [],
                          environment: [String: String] = [:]) -> [String] {
        do {
            _ = try TaskFile.load(url: url, overrides: overrides, environment: environment, selecting: names) {
                $0.validationProblems(knownHeads: heads) { _ in true }
            }
            XCTFail("expected problems")
            return []
        } catch let errors as TaskFileErrors {
            return errors.problems.map(\.description)
        } catch {
            XCTFail("expected TaskFileErrors, got \(error)")
            return []
        }
    }

    private func decodeProblems(_ text: String, environment: [String: String] = [:]) -> [String] {
        let url = URL(fileURLWithPath: "/p/t.yaml")
        var errors = TaskFileErrorCollector()
        let file = TaskFile(yaml: try! YAMLParser.parse(text, path: "t.yaml"), url: url, environment: environment, errors: &errors)
        let all = errors.problems + file.validationProblems(knownHeads: heads) { _ in true }
        return TaskFileErrors(path: "t.yaml", problems: all).problems.map(\.description)
    }

    private var manyErrorsLines: [String] {
        let path = manyErrors.path
        return [
            "\(path):3:8: environment variable `BERTKIT_TEST_UNSET_MODEL` is not set (used in \"${BERTKIT_TEST_UNSET_MODEL}/mini\"); "
                + "set it, or write `${BERTKIT_TEST_UNSET_MODEL:-default}`",
            "\(path):5:3: unknown key `lerning_rate`; did you mean `learning_rate`?",
            "\(path):6:15: `batch_size`: expected an integer, found `many`",
            "\(path):7:17: `warmup_ratio` must be at least 0 and less than 1, found 1.5",
            "\(path):10:11: task `sst2`: unknown head `sequence-clasification`; did you mean `sequence-classification`? "
                + "known heads: sequence-classification, token-classification",
            "\(path):12:5: missing required key `head` in this mapping",
            "\(path):13:20: `format` must be one of tsv, csv, jsonl, conll, squad, text, found `tvs`; did you mean `tsv`?",
            "\(path):14:11: two tasks are named `sst2` (the first at \(path):9:11); names must be unique, each becomes a folder under `output`",
        ]
    }

    func testEightMistakesOfEightKindsGiveEightMessagesInLineOrder() throws {
        XCTAssertEqual(problems(manyErrors), manyErrorsLines)
        // decoding alone (`load` without checks) stops short of nothing but the head check
        let decoding = thrownDescription(try TaskFile.load(url: manyErrors, environment: [:]))
        XCTAssertEqual(decoding, manyErrorsLines.filter { !$0.contains("unknown head") }.joined(separator: "\n"))
    }

    /// `--set` errors, a malformed override and a value that fails, come after the file's own,
    /// in the order given; a bare training key applied to every task fails once.
    func testOverrideErrorsFollowTheFilesOwn() throws {
        let found = problems(manyErrors, overrides: ["seed=-3", "tasks.nope.epochs=1", "defaults.epochs"])
        XCTAssertEqual(Array(found.prefix(8)), manyErrorsLines)
        XCTAssertEqual(Array(found.dropFirst(8)), [
            "--set seed=-3: `seed` must be at least 0, found -3",
            "--set tasks.nope.epochs=1: no element of `tasks` (at \(manyErrors.path):9:3) has `name: nope`; names: sst2, mrpc, sst2",
            "--set defaults.epochs: expected `key=value`, e.g. `--set defaults.epochs=1`",
        ])
        // the override that fixes a mistake removes its message
        XCTAssertEqual(problems(manyErrors, overrides: ["defaults.batch_size=16"]).count, 7)
    }

    /// `--task` keeps the named tasks: validation looks at them only; decoding errors of the
    /// others are still reported (the file as a whole must decode), and an unknown name joins them.
    func testSelectionKeepsDecodingErrorsAndAddsItsOwn() throws {
        let text = "model: m\ntasks:\n  - name: a\n    head: nohead\n    data: {format: tsv, train: x}\n"
            + "  - name: b\n    head: nohead\n    batch_size: 0\n    data: {format: tsv, train: x}\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("select-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let path = url.standardizedFileURL.path
        XCTAssertEqual(problems(url, selecting: ["a"]), [
            "\(path):4:11: task `a`: unknown head `nohead`; known heads: sequence-classification, token-classification",
            "\(path):8:17: `batch_size` must be at least 1, found 0",
        ])
        XCTAssertEqual(problems(url, selecting: ["c"]), [
            "\(path):8:17: `batch_size` must be at least 1, found 0",
            "\(path): no task named `c`; tasks in this file: a, b",
        ])
    }

    /// A value that failed is left at its default and marked, so that nothing checked after it
    /// speaks of that default: one mistake, one message.
    func testAFailedValueIsNotReportedAgainByWhatDependsOnIt() {
        let task = "model: m\ntasks:\n  - name: a\n"
        // a format that does not exist: no "tag_column has no meaning for format text"
        XCTAssertEqual(decodeProblems(task + "    head: token-classification\n    data: {format: conl, train: x, tag_column: 3}\n"),
                       ["t.yaml:5:20: `format` must be one of tsv, csv, jsonl, conll, squad, text, found `conl`; did you mean `conll`?"])
        // an unset variable in the only path: no "`data` names no file"
        XCTAssertEqual(decodeProblems(task + "    head: token-classification\n    data: {format: conll, train: \"${NOPE}\", tag_column: 3}\n"),
                       ["t.yaml:5:34: environment variable `NOPE` is not set (used in \"${NOPE}\"); set it, or write `${NOPE:-default}`"])
        // a head that is not a string: no "unknown head"
        XCTAssertEqual(decodeProblems(task + "    head: [a]\n    data: {format: tsv, train: x}\n"),
                       ["t.yaml:4:11: `head`: expected a string, found a sequence"])
        // `data` that is not a mapping: nothing about its files or columns
        XCTAssertEqual(decodeProblems(task + "    head: token-classification\n    data: x.tsv\n"),
                       ["t.yaml:5:11: `data`: expected a mapping, found `x.tsv`"])
        // a tag column that is not a number is not compared with the token column
        XCTAssertEqual(decodeProblems(task + "    head: token-classification\n    data: {format: conll, train: x, tag_column: last}\n"),
                       ["t.yaml:5:49: `tag_column`: expected an integer, found `last`"])
        // the file's model failed: no task looks for the placeholder
        XCTAssertEqual(decodeProblems("model: [m]\ntasks:\n  - name: a\n    head: token-classification\n    data: {format: conll, train: x, tag_column: 3}\n"),
                       ["t.yaml:1:8: `model`: expected a string, found a sequence"])
        // `defaults:` that failed for a key: a task inheriting it does not compare against the default
        XCTAssertEqual(decodeProblems("model: m\ndefaults: {max_seq_length: big}\ntasks:\n  - name: q\n    head: token-classification\n"
                                      + "    doc_stride: 256\n    data: {format: squad, train: x}\n"),
                       ["t.yaml:2:28: `max_seq_length`: expected an integer, found `big`"])
    }

    /// Several errors inside one task, one block, one list: all reported, each at its place.
    func testEveryErrorOfOneTaskAndOneBlock() {
        let text = """
            model: m
            tasks:
              - name: a/b
                head: token-classification
                epochs: 0
                batch_size: 0
                colour: red
                metrics: f1
                data: {format: conll, train: x, tag_column: x, scheme: iob, max_train_examples: 0, trian: y}
            """
        XCTAssertEqual(decodeProblems(text), [
            "t.yaml:3:11: task name \"a/b\" is not usable as a folder name: use letters, digits, `.`, `_` and `-` (and not `.` or `..` alone)",
            "t.yaml:5:13: `epochs` must be greater than 0, found 0",
            "t.yaml:6:17: `batch_size` must be at least 1, found 0",
            "t.yaml:7:5: unknown key `colour`; allowed keys: " + TaskSpec.yamlKeys.sorted().joined(separator: ", "),
            "t.yaml:8:14: expected a list of strings, found `f1` (write [f1] for a list of one)",
            "t.yaml:9:49: `tag_column`: expected an integer, found `x`",
            "t.yaml:9:60: `scheme` must be one of iob1, iob2, bioes, found `iob`; did you mean `iob1`?",
            "t.yaml:9:85: `max_train_examples` must be at least 1, found 0",
            "t.yaml:9:88: unknown key `trian`; did you mean `train`?",
        ])
    }

    /// The same mistake reached twice (an alias, a bare `--set` on every task) is listed once;
    /// errors at one place keep the order they were found in.
    func testRepeatsAreListedOnceAndTiesKeepTheirOrder() {
        let errors = TaskFileErrors(path: "t.yaml", problems: [
            TaskFileProblem(location: "--set x=1", message: "late"),
            TaskFileProblem(location: "t.yaml:10:2", message: "b"),
            TaskFileProblem(location: "t.yaml:9:30", message: "a"),
            TaskFileProblem(location: "t.yaml:10:2", message: "b"),
            TaskFileProblem(location: "t.yaml:10:2", message: "c"),
            TaskFileProblem(location: "t.yaml", message: "whole file"),
        ])
        XCTAssertEqual(errors.problems.map(\.description),
                       ["t.yaml:9:30: a", "t.yaml:10:2: b", "t.yaml:10:2: c", "--set x=1: late", "t.yaml: whole file"])
        XCTAssertEqual(errors.description, errors.problems.map(\.description).joined(separator: "\n"))
    }

    /// A repeated key is reported with the rest (the first value is kept and decoded).
    func testARepeatedKeyDoesNotStopTheRest() throws {
        let text = "model: m\ndefaults:\n  epochs: 2\n  batch_size: 0\n  epochs: x\ntasks:\n  - name: a\n    name: b\n"
            + "    head: token-classification\n    data: {format: conll, train: x, tag_column: 3, tag_column: 4}\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("repeats-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let path = url.standardizedFileURL.path
        XCTAssertEqual(problems(url), [
            "\(path):4:15: `batch_size` must be at least 1, found 0",
            "\(path):5:3: duplicate key `epochs` (first defined at line 3, again at line 5)",
            "\(path):8:5: duplicate key `name` (first defined at line 7, again at line 8)",
            "\(path):10:52: duplicate key `tag_column` (first defined at line 10, again at line 10)",
        ])
        // the parser alone still refuses the file at its first repeat
        XCTAssertEqual(thrownDescription(try YAMLParser.parse(contentsOfFile: path)),
                       "\(path):5:3: duplicate key `epochs` (first defined at line 3, again at line 5)")
    }

    /// What makes the rest meaningless still stops at once: the file cannot be read, or libyaml
    /// finds a syntax error.
    func testUnreadableAndSyntaxErrorsStopAtOnce() {
        let missing = taskFileFixture("many-errors/no-such-file.yaml")
        XCTAssertEqual(problems(missing), ["\(missing.path):1:1: cannot read the file (missing, a directory, or not readable)"])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("syntax-\(UUID().uuidString).yaml")
        try? Data("model: m\ntasks: [a\nbatch_size: many\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let found = problems(url)
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found.first?.contains("YAML syntax error") == true, "\(found)")
    }
}
