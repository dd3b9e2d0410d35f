import XCTest
@testable import TaskFile

final class TaskFileValidationTests: XCTestCase {
    private let url = taskFileFixture("validate/tasks.yaml")
    private let heads: Set<String> = ["sequence-classification", "token-classification", "span-extraction"]

    /// (The columns in the files' first lines are the task kind's to check: TasksTests'
    /// ClassificationHeaderCheckTests.)
    func testReportsEveryProblemWithItsPosition() throws {
        let file = try TaskFile.load(url: url, environment: [:])
        let path = url.path, folder = url.deletingLastPathComponent().path
        XCTAssertEqual(file.validate(knownHeads: heads), [
            "\(path):9:13: task `sst2`: `data.eval` file \"data/dev.tsv\" (resolved: \(folder)/data/dev.tsv) does not exist",
            "\(path):12:11: task `typo`: unknown head `sequence-clasification`; did you mean `sequence-classification`? "
                + "known heads: sequence-classification, span-extraction, token-classification",
            "\(path):16:12: task `ner`: model folder \"missing-model\" (resolved: \(folder)/missing-model) does not exist",
            "\(path):17:20: task `ner`: format conll needs `tag_column` (the 0-based column of the tags, e.g. 3 for CoNLL-2003)",
        ])
    }

    /// A kind's own data keys (`line_by_line`) are accepted for its tasks only.
    func testKindDataKeys() throws {
        let yaml = """
            model: m
            tasks:
              - name: lm
                head: masked-lm
                data: {format: text, train: a.txt, line_by_line: true}
              - name: cls
                head: sequence-classification
                data: {format: jsonl, train: a.jsonl, line_by_line: true}
            """
        let file = try TaskFile(yaml: YAMLParser.parse(yaml, path: "t.yaml"), url: URL(fileURLWithPath: "/p/t.yaml"), environment: [:])
        let rules = ["masked-lm": TaskKindRules(kind: "language-modeling", formats: [.text, .jsonl], dataKeys: ["line_by_line"]),
                     "sequence-classification": TaskKindRules(kind: "classification", formats: [.tsv, .csv, .jsonl])]
        XCTAssertEqual(file.validate(knownHeads: ["masked-lm", "sequence-classification"], headTaskKinds: rules) { _ in true }, [
            "t.yaml:8:57: task `cls`: `data.line_by_line` has no meaning for format jsonl",
        ])
    }

    func testModelFilesAndHeadKinds() throws {
        var file = try TaskFile.load(url: url, environment: [:])
        file.tasks = [file.tasks[0]]
        let path = url.path
        // Everything present except the weights (fileExists is the test's).
        let tagging = TaskKindRules(kind: "token-classification", formats: [.conll])
        let noWeights = file.validate(knownHeads: heads, headTaskKinds: ["sequence-classification": tagging]) {
            !["model.safetensors", "pytorch_model.bin"].contains($0.lastPathComponent)
        }
        XCTAssertEqual(noWeights, [
            "\(path):5:11: task `sst2`: head `sequence-classification` (token-classification) reads data in format conll, "
                + "but `data.format` (at \(path):7:15) is tsv",
            "\(path):2:8: task `sst2`: model folder \"model\" (resolved: \(url.deletingLastPathComponent().path)/model) "
                + "has no model.safetensors; a model folder holds config.json, model.safetensors and vocab.txt or tokenizer.json",
        ])
        let classification = TaskKindRules(kind: "classification", formats: [.tsv, .csv, .jsonl])
        XCTAssertEqual(file.validate(knownHeads: heads, headTaskKinds: ["sequence-classification": classification]) { _ in true }, [])
    }

    /// transformers 5 writes tokenizer.json and no vocab.txt: either is a vocabulary. A folder
    /// with pytorch_model.bin and no model.safetensors is told how to get one.
    func testVocabularyFilesAndPickledWeights() throws {
        var file = try TaskFile.load(url: url, environment: [:])
        file.tasks = [file.tasks[0]]
        let path = url.path, model = "\"model\" (resolved: \(url.deletingLastPathComponent().path)/model)"
        let classification = TaskKindRules(kind: "classification", formats: [.tsv, .csv, .jsonl])
        func problems(absent: Set<String>) -> [String] {
            file.validate(knownHeads: heads, headTaskKinds: ["sequence-classification": classification]) {
                !absent.contains($0.lastPathComponent)
            }
        }
        XCTAssertEqual(problems(absent: ["vocab.txt"]), [], "tokenizer.json alone is a vocabulary")
        XCTAssertEqual(problems(absent: ["tokenizer.json"]), [])
        XCTAssertEqual(problems(absent: ["vocab.txt", "tokenizer.json"]), [
            "\(path):2:8: task `sst2`: model folder \(model) has no vocab.txt (or tokenizer.json); "
                + "a model folder holds config.json, model.safetensors and vocab.txt or tokenizer.json",
        ])
        XCTAssertEqual(problems(absent: ["model.safetensors"]), [
            "\(path):2:8: task `sst2`: model folder \(model) has no model.safetensors; "
                + "a model folder holds config.json, model.safetensors and vocab.txt or tokenizer.json; "
                + "its pytorch_model.bin is a pickle, which BertKit does not read: save the model again with "
                + "`model.save_pretrained(dir, safe_serialization=True)` to get model.safetensors",
        ])
    }

    /// A kind's own problems are reported at the `data:` key they name, in the task's turn, and
    /// only for a format the kind reads.
    func testTheKindChecksItsDataBlock() throws {
        var file = try TaskFile.load(url: url, environment: [:])
        file.tasks = [file.tasks[0]]
        let rules = TaskKindRules(kind: "k", formats: [.tsv]) { data, fileExists in
            [DataProblem(key: "text", message: "text is \(data.text), train exists: \(fileExists(data.train!))")]
        }
        XCTAssertEqual(file.validate(knownHeads: heads, headTaskKinds: ["sequence-classification": rules]) { _ in true },
                       ["\(url.path):10:13: task `sst2`: text is `sentence`, train exists: true"])
        let csvOnly = TaskKindRules(kind: "k", formats: [.csv], checkData: rules.checkData)
        XCTAssertEqual(file.validate(knownHeads: heads, headTaskKinds: ["sequence-classification": csvOnly]) { _ in true }, [
            "\(url.path):5:11: task `sst2`: head `sequence-classification` (k) reads data in format csv, "
                + "but `data.format` (at \(url.path):7:15) is tsv",
        ])
    }

    func testColumnsThatTheFormatCannotHonour() throws {
        let text = """
            model: m
            tasks:
              - name: a
                head: h
                data: {format: tsv, train: x.tsv, header: false, label: 1, tag_column: 2}
              - name: b
                head: h
                data: {format: jsonl, eval: x.jsonl, text: 0}
              - name: c
                head: h
                max_seq_length: 384
                data: {format: squad}
              - name: d
                head: h
                class_weights: [1, 2, 3]
                data: {format: csv, test: x.csv, labels: [no, yes]}

            """
        var file = try TaskFile(yaml: YAMLParser.parse(text, path: "t.yaml"), url: URL(fileURLWithPath: "/p/t.yaml"),
                                environment: [:])
        // Decoding rejects a repeated name; a file put together in code can still have one.
        file.tasks.append(file.tasks[2])
        XCTAssertEqual(file.validate(knownHeads: ["h"]) { _ in true }, [
            "t.yaml:5:76: task `a`: `data.tag_column` has no meaning for format tsv",
            "t.yaml:5:11: task `a`: `data.text` names the column `text` (the default), but `header: false` means "
                + "the file has no column names: give a 0-based column index",
            "t.yaml:8:48: task `b`: `data.text` is the column index 0, but a jsonl line is an object: give its key",
            "t.yaml:12:11: task `c`: `data` names no file: give at least one of `train`, `eval`, `test`",
            "t.yaml:15:20: task `d`: `class_weights` has 3 weights but `data.labels` (at t.yaml:16:46) has 2 labels",
            "t.yaml:9:11: task `c`: another task has this name (at t.yaml:9:11); names must be unique",
            "t.yaml:12:11: task `c`: `data` names no file: give at least one of `train`, `eval`, `test`",
        ])
    }

    /// `class_weights` on a head that has no class weights, written in the task or inherited from
    /// `defaults:`, is reported at the key; an empty `class_weights:` unsets the inherited value.
    func testClassWeightsOnlyOnHeadsThatTakeThem() throws {
        let text = """
            model: m
            defaults: {class_weights: balanced, max_seq_length: 384}
            tasks:
              - name: qa
                head: span-extraction
                data: {format: squad, train: x.json}
              - name: crf
                head: token-classification-crf
                class_weights: [1, 2]
                data: {format: conll, train: x.txt, tag_column: 1}
              - name: ner
                head: token-classification
                data: {format: conll, train: x.txt, tag_column: 1}
              - name: qa-unset
                head: span-extraction
                class_weights:
                data: {format: squad, train: x.json}

            """
        let file = try TaskFile(yaml: YAMLParser.parse(text, path: "t.yaml"), url: URL(fileURLWithPath: "/p/t.yaml"),
                                environment: [:])
        let heads: Set<String> = ["sequence-classification", "token-classification", "token-classification-crf", "span-extraction"]
        let refusal = "does not take `class_weights` (heads that do: sequence-classification, token-classification); "
            + "leave the key out of this task (an empty `class_weights:` unsets a `defaults:` value)"
        XCTAssertEqual(file.validate(knownHeads: heads, classWeightedHeads: ["sequence-classification", "token-classification"]) { _ in true }, [
            "t.yaml:2:27: task `qa`: head `span-extraction` \(refusal)",
            "t.yaml:9:20: task `crf`: head `token-classification-crf` \(refusal)",
        ])
        // a caller that does not say which heads take weights gets no such check
        XCTAssertEqual(file.validate(knownHeads: heads) { _ in true }, [])
    }
}
