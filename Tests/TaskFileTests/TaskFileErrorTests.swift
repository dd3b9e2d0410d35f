import XCTest
@testable import TaskFile

/// Each mistake a user can make in a task file, with the exact message and position.
final class TaskFileErrorTests: XCTestCase {
    private func loadError(_ name: String) -> (message: String?, path: String) {
        let url = taskFileFixture("errors/\(name)")
        return (thrownDescription(try TaskFile.load(url: url, environment: [:])), url.path)
    }

    /// Decodes YAML text given inline (path `t.yaml`), for the smaller cases.
    private func decodeError(_ text: String) -> String? {
        thrownDescription(try TaskFile(yaml: YAMLParser.parse(text, path: "t.yaml"),
                                       url: URL(fileURLWithPath: "/p/t.yaml"), environment: [:]))
    }

    private func task(_ lines: String) -> String {
        "model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tsv, train: x.tsv}\n" + lines
    }

    func testUnknownKeySuggestsTheClosestAndPointsAtTheKey() throws {
        let (message, path) = loadError("unknown-key.yaml")
        XCTAssertEqual(message, path + ":6:5: unknown key `lerning_rate`; did you mean `learning_rate`?")
        // (the empty `tasks` is a second mistake, reported with it, in line order)
        XCTAssertEqual(decodeError("model: m\ntasks: []\ndefault: {}\n"),
                       "t.yaml:2:8: `tasks` is empty: list at least one task\n"
                       + "t.yaml:3:1: unknown key `default`; did you mean `defaults`?")
        XCTAssertEqual(decodeError(task("    datas: x\n")), "t.yaml:6:5: unknown key `datas`; did you mean `data`?")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tsv, trian: x}\n"),
                       "t.yaml:5:25: unknown key `trian`; did you mean `train`?")
    }

    func testWrongTypeAtTheValue() throws {
        let (message, path) = loadError("wrong-type.yaml")
        XCTAssertEqual(message, path + ":3:15: `batch_size`: expected an integer, found `many`")
        XCTAssertEqual(decodeError(task("    metrics: accuracy\n")),
                       "t.yaml:6:14: expected a list of strings, found `accuracy` (write [accuracy] for a list of one)")
        XCTAssertEqual(decodeError(task("    group_by_length: maybe\n")),
                       "t.yaml:6:22: `group_by_length`: expected a boolean (true or false), found `maybe`")
        XCTAssertEqual(decodeError(task("    class_weights: {a: 1}\n")),
                       "t.yaml:6:20: `class_weights`: expected `balanced` or a list of numbers, found a mapping")
    }

    func testAModelReferenceNamesAnEarlierTaskThatWritesTheCheckpoint() throws {
        func file(_ first: String, _ reference: String) -> String {
            "model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: text, train: x.txt}\n\(first)"
                + "  - name: b\n    head: h\n    model: \(reference)\n    data: {format: tsv, train: x.tsv}\n"
        }
        XCTAssertEqual(decodeError(file("", "{task: c}")),
                       "t.yaml:8:12: task `b`: `model` names task `c`, which is not declared before it in the file (the tasks before it: a)")
        XCTAssertEqual(decodeError(file("", "{task: b}")),
                       "t.yaml:8:12: task `b`: `model` names task `b`, which is not declared before it in the file (a task cannot start from its own checkpoint)")
        XCTAssertEqual(decodeError(file("", "{task: a, checkpoint: best}")),
                       "t.yaml:8:12: task `b`: `model` is task `a`'s best/ checkpoint, which only evaluations write, and that task has no `data.eval`; use `checkpoint: last`")
        XCTAssertEqual(decodeError(file("    save_checkpoints: false\n", "{task: a}")),
                       "t.yaml:9:12: task `b`: `model` is task `a`'s last/ checkpoint, but that task sets `save_checkpoints: false` (at t.yaml:6:23)")
        XCTAssertEqual(decodeError(file("", "{task: a, checkpoint: first}")),
                       "t.yaml:8:34: `checkpoint` must be one of last, best, found `first`")
        XCTAssertEqual(decodeError(file("", "{task: a, chekpoint: last}")),
                       "t.yaml:8:22: unknown key `chekpoint`; did you mean `checkpoint`?")
        XCTAssertEqual(decodeError(file("", "{checkpoint: last}")), "t.yaml:8:12: missing required key `task` in this mapping")
    }

    func testOutOfRangeValues() throws {
        let (message, path) = loadError("out-of-range.yaml")
        XCTAssertEqual(message, path + ":2:37: `warmup_ratio` must be at least 0 and less than 1, found 1.5")
        XCTAssertEqual(decodeError(task("    batch_size: 0\n")), "t.yaml:6:17: `batch_size` must be at least 1, found 0")
        XCTAssertEqual(decodeError(task("    learning_rate: 0\n")), "t.yaml:6:20: `learning_rate` must be greater than 0, found 0")
        XCTAssertEqual(decodeError(task("    epochs: -1\n")), "t.yaml:6:13: `epochs` must be greater than 0, found -1")
        XCTAssertEqual(decodeError(task("    max_seq_length: 4097\n")),
                       "t.yaml:6:21: `max_seq_length` must be between 8 and 4096, found 4097")
        XCTAssertEqual(decodeError(task("    seed: -3\n")), "t.yaml:6:11: `seed` must be at least 0, found -3")
        XCTAssertEqual(decodeError(task("    gradient_accumulation_steps: 0\n")),
                       "t.yaml:6:34: `gradient_accumulation_steps` must be at least 1, found 0")
        XCTAssertEqual(decodeError(task("    threads: 0\n")), "t.yaml:6:14: `threads` must be at least 1, found 0")
        XCTAssertEqual(decodeError(task("    learning_rate: .nan\n")), "t.yaml:6:20: `learning_rate` must be a finite number, found .nan")
        XCTAssertEqual(decodeError(task("    class_weights: [1, -2]\n")),
                       "t.yaml:6:24: `class_weights`: each weight must be a finite number at least 0, found -2")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tsv, max_train_examples: 0}\n"),
                       "t.yaml:5:45: `max_train_examples` must be at least 1, found 0")
        XCTAssertEqual(decodeError(task("    mlm_probability: 0\n")),
                       "t.yaml:6:22: `mlm_probability` must be greater than 0 and at most 1, found 0")
        XCTAssertEqual(decodeError(task("    mlm_probability: 1.5\n")),
                       "t.yaml:6:22: `mlm_probability` must be greater than 0 and at most 1, found 1.5")
        XCTAssertEqual(decodeError(task("    whole_word_masking: some\n")),
                       "t.yaml:6:25: `whole_word_masking`: expected a boolean (true or false), found `some`")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: txt, train: a}\n"),
                       "t.yaml:5:20: `format` must be one of tsv, csv, jsonl, conll, squad, text, found `txt`; did you mean `text`?")
    }

    func testDocStrideMustBeBelowMaxSeqLengthForSquad() throws {
        let squad = "model: m\ndefaults: {max_seq_length: 256}\ntasks:\n  - name: q\n    head: h\n"
            + "    data: {format: squad, train: t.json}\n"
        XCTAssertEqual(decodeError(squad + "    doc_stride: 256\n"),
                       "t.yaml:7:17: task `q`: `doc_stride` (256) must be less than `max_seq_length` (256): "
                       + "windows overlap by doc_stride tokens (SQuAD is usually run with max_seq_length 384, doc_stride 128)")
        XCTAssertNil(thrownDescriptionIfAny(squad + "    doc_stride: 128\n"))
        // Only span extraction has windows: a classification task with the same numbers is fine.
        XCTAssertNil(thrownDescriptionIfAny(task("    max_seq_length: 128\n")))
    }

    private func thrownDescriptionIfAny(_ text: String) -> String? {
        do {
            _ = try TaskFile(yaml: YAMLParser.parse(text, path: "t.yaml"), url: URL(fileURLWithPath: "/p/t.yaml"), environment: [:])
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testMissingRequiredKeys() throws {
        let (message, path) = loadError("missing-key.yaml")
        XCTAssertEqual(message, path + ":6:5: missing required key `head` in this mapping")
        XCTAssertEqual(decodeError("tasks: []\n"),
                       "t.yaml:1:1: missing required key `model` in this mapping\nt.yaml:1:8: `tasks` is empty: list at least one task")
        XCTAssertEqual(decodeError("tasks: [{name: a, head: h, data: {format: text}}]\n"),
                       "t.yaml:1:1: missing required key `model` in this mapping")
        XCTAssertEqual(decodeError("model: m\n"), "t.yaml:1:1: missing required key `tasks` in this mapping")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {train: x}\n"),
                       "t.yaml:5:11: missing required key `format` in this mapping")
        XCTAssertEqual(decodeError("model: m\ntasks: []\n"), "t.yaml:2:8: `tasks` is empty: list at least one task")
    }

    func testDuplicateTaskName() throws {
        let (message, path) = loadError("duplicate-name.yaml")
        XCTAssertEqual(message, path + ":6:11: two tasks are named `sst2` (the first at \(path):3:11); "
                       + "names must be unique, each becomes a folder under `output`")
    }

    func testInvalidWordsAndNames() throws {
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tvs}\n"),
                       "t.yaml:5:20: `format` must be one of tsv, csv, jsonl, conll, squad, text, found `tvs`; did you mean `tsv`?")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: conll, scheme: iob}\n"),
                       "t.yaml:5:35: `scheme` must be one of iob1, iob2, bioes, found `iob`; did you mean `iob1`?")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: glue/sst2\n    head: h\n    data: {format: tsv}\n"),
                       "t.yaml:3:11: task name \"glue/sst2\" is not usable as a folder name: use letters, digits, "
                       + "`.`, `_` and `-` (and not `.` or `..` alone)")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tsv, text: -1}\n"),
                       "t.yaml:5:31: `text`: a column index counts from 0, found -1")
        XCTAssertEqual(decodeError("model: m\ntasks:\n  - name: a\n    head: h\n    data: {format: tsv, labels: [a, b, a]}\n"),
                       "t.yaml:5:40: label `a` is listed twice")
    }
}
