import XCTest
import Backbone
@testable import TaskFile

/// Tests/Fixtures/taskfile/<name>, found from this source file.
func taskFileFixture(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/taskfile/\(name)").standardizedFileURL
}

/// The error `body` throws, as its `description`; fails the test if it throws nothing.
func thrownDescription<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> String? {
    do {
        let value = try body()
        XCTFail("expected an error, got \(value)", file: file, line: line)
    } catch {
        return "\(error)"
    }
    return nil
}

final class TaskFileDecodingTests: XCTestCase {
    private let glue = taskFileFixture("realistic/configs/glue.yaml")
    private var fixtures: URL { taskFileFixture("") }

    private func loadGlue(_ overrides: [String] = [], environment: [String: String] = ["SQUAD_DIR": "/data/squad"]) throws -> TaskFile {
        try TaskFile.load(url: glue, overrides: overrides, environment: environment)
    }

    func testDefaultsAndPerTaskOverrides() throws {
        let file = try loadGlue()
        XCTAssertEqual(file.tasks.map(\.name), ["sst2", "conll2003", "squad"])
        let sst2 = file.tasks[0], conll = file.tasks[1], squad = file.tasks[2]

        // The task's own keys win over defaults; the rest come from defaults, then built-in defaults.
        XCTAssertEqual(sst2.training.epochs, 1)
        XCTAssertEqual(sst2.training.learningRate, 3e-5)
        XCTAssertEqual(sst2.training.batchSize, 32)
        XCTAssertEqual(sst2.training.warmupRatio, 0.1)
        XCTAssertEqual(sst2.training.weightDecay, 0.01)
        XCTAssertEqual(sst2.training.seed, 42)
        XCTAssertEqual(sst2.training.adamBeta2, 0.999)
        XCTAssertEqual(conll.training.epochs, 3)
        XCTAssertEqual(conll.training.learningRate, 5e-5)
        XCTAssertEqual(conll.training.classWeights, .balanced)
        XCTAssertEqual(squad.training.maxSeqLength, 384)
        XCTAssertEqual(squad.training.docStride, 128)
        XCTAssertEqual(squad.training.versionTwoWithNegative, false)
        XCTAssertEqual(sst2.training.maxSeqLength, 128)
        XCTAssertNil(sst2.training.versionTwoWithNegative)

        XCTAssertEqual(sst2.head, "sequence-classification")
        XCTAssertEqual(sst2.metrics, ["accuracy", "f1"])
        XCTAssertEqual(squad.metrics, [])
        XCTAssertEqual(sst2.data.format, .tsv)
        XCTAssertEqual(sst2.data.text, .name("sentence"))
        XCTAssertEqual(sst2.data.label, .index(1))
        XCTAssertNil(sst2.data.textPair)
        XCTAssertEqual(sst2.data.labels, ["neg", "pos"])
        XCTAssertEqual(sst2.data.maxTrainExamples, 2000)
        XCTAssertNil(sst2.data.maxEvalExamples)
        XCTAssertEqual(conll.data.format, .conll)
        XCTAssertEqual(conll.data.tokenColumn, 0)
        XCTAssertEqual(conll.data.tagColumn, 3)
        XCTAssertEqual(conll.data.scheme, "iob1")
        XCTAssertNil(squad.data.train)
    }

    func testBatchingKeys() throws {
        let defaults = try loadGlue().tasks[2].training
        XCTAssertTrue(defaults.groupByLength, "length-grouped batches by default")
        XCTAssertFalse(defaults.padToMaxLength, "each batch padded to its longest by default")
        let runQA = try loadGlue(["tasks.squad.group_by_length=false", "tasks.squad.pad_to_max_length=true"]).tasks[2].training
        XCTAssertFalse(runQA.groupByLength)
        XCTAssertTrue(runQA.padToMaxLength)
    }

    /// Language modelling: `format: text`, `line_by_line`, `mlm_probability`, `whole_word_masking`.
    func testLanguageModelingKeys() throws {
        let yaml = """
            model: m
            defaults: {mlm_probability: 0.2}
            tasks:
              - name: dapt
                head: masked-lm
                data: {format: text, train: train.txt, line_by_line: true}
                whole_word_masking: true
              - name: plain
                head: masked-lm
                data: {format: jsonl, train: train.jsonl}
            """
        let file = try TaskFile(yaml: YAMLParser.parse(yaml, path: "t.yaml"), url: URL(fileURLWithPath: "/p/t.yaml"), environment: [:])
        let (dapt, plain) = (file.tasks[0], file.tasks[1])
        XCTAssertEqual(dapt.data.format, .text)
        XCTAssertTrue(dapt.data.lineByLine)
        XCTAssertEqual(dapt.training.mlmProbability, 0.2)
        XCTAssertTrue(dapt.training.wholeWordMasking)
        XCTAssertFalse(plain.data.lineByLine)
        XCTAssertFalse(plain.training.wholeWordMasking)
        XCTAssertEqual(TrainingSettings().mlmProbability, 0.15)
    }

    /// `model: {task: NAME, checkpoint: ...}`: an earlier task's checkpoint under `output`,
    /// which follows a changed `output`.
    func testModelNamesAnEarlierTasksCheckpoint() throws {
        let yaml = """
            model: m
            output: out
            tasks:
              - name: dapt
                head: masked-lm
                data: {format: text, train: a.txt, eval: b.txt}
              - name: ner
                head: token-classification
                model: {task: dapt, checkpoint: best}
                data: {format: conll, train: c.txt, tag_column: 3}
              - name: ner-last
                head: token-classification
                model: {task: dapt}
                data: {format: conll, train: c.txt, tag_column: 3}
            """
        var file = try TaskFile(yaml: YAMLParser.parse(yaml, path: "t.yaml"), url: URL(fileURLWithPath: "/p/t.yaml"), environment: [:])
        XCTAssertNil(file.tasks[0].modelReference)
        XCTAssertEqual(file.tasks[1].modelReference, ModelReference(task: "dapt", checkpoint: .best, position: "t.yaml:9:19"))
        XCTAssertEqual(file.tasks[1].model.path, "/p/out/dapt/best")
        XCTAssertEqual(file.tasks[2].model.path, "/p/out/dapt/last", "checkpoint: last by default")
        file.output = URL(fileURLWithPath: "/elsewhere")
        XCTAssertEqual(file.tasks[1].model.path, "/elsewhere/dapt/best")
        XCTAssertEqual(file.tasks[0].model.path, "/p/m")
        // validation does not look for the folder: the earlier task writes it
        XCTAssertEqual(try file.selecting(names: ["ner"]).validate(knownHeads: ["masked-lm", "token-classification"]) { $0.path.hasPrefix("/p/") }, [])
    }

    func testHeadConfigBecomesJSONValues() throws {
        let sst2 = try loadGlue().tasks[0]
        XCTAssertEqual(sst2.headConfig, [
            "pooling": .string("mean"),
            "dropout": .number(0.2),
            "extra": .string("0.5"),            // quoted: stays text
            "flags": .array([.bool(true), .null]),
            "nested": .object(["a": .number(1)]),
        ])
        XCTAssertEqual(try loadGlue().tasks[1].headConfig, [:])
    }

    func testPathsAreResolvedAgainstTheTaskFileFolder() throws {
        let file = try loadGlue()
        let root = fixtures.path
        XCTAssertEqual(file.url.path, root + "/realistic/configs/glue.yaml")
        XCTAssertEqual(file.model.path, root + "/realistic/models/mini")
        XCTAssertEqual(file.output.path, root + "/realistic/runs")
        XCTAssertEqual(file.pathsAsWritten["model"], "../models/mini")
        XCTAssertEqual(file.tasks[0].model.path, root + "/realistic/models/mini")
        XCTAssertEqual(file.tasks[0].data.train?.path, root + "/realistic/data/sst2/train.tsv")
        XCTAssertEqual(file.tasks[0].data.eval?.path, root + "/realistic/data/sst2/dev.tsv")
        XCTAssertEqual(file.tasks[0].data.pathsAsWritten["train"], "../data/sst2/train.tsv")
        // An absolute per-task model stays as written.
        XCTAssertEqual(file.tasks[1].model.path, "/opt/models/bert-base-cased")
        XCTAssertEqual(file.tasks[1].modelAsWritten, "/opt/models/bert-base-cased")
        XCTAssertEqual(file.tasks[2].model, file.model)
    }

    func testEnvironmentVariablesInPaths() throws {
        let root = fixtures.path
        // BERTKIT_DATA unset: its default, relative to the task file's folder.
        var file = try loadGlue()
        XCTAssertEqual(file.tasks[1].data.train?.path, root + "/shared/data/conll/train.txt")
        XCTAssertEqual(file.tasks[1].data.eval?.path, root + "/shared/data/conll/valid.txt")
        XCTAssertEqual(file.tasks[1].data.pathsAsWritten["train"], "${BERTKIT_DATA:-../../shared/data}/conll/train.txt")
        XCTAssertEqual(file.tasks[2].data.eval?.path, "/data/squad/dev-v1.1.json")

        // Set: the environment's value; an absolute value is not re-rooted, a relative one is.
        file = try loadGlue(environment: ["SQUAD_DIR": "/data/squad", "BERTKIT_DATA": "/mnt/corpora", "BERTKIT_RUNS": "out"])
        XCTAssertEqual(file.tasks[1].data.train?.path, "/mnt/corpora/conll/train.txt")
        XCTAssertEqual(file.output.path, root + "/realistic/configs/out")

        // Unset without a default: an error at the value.
        let message = thrownDescription(try loadGlue(environment: [:]))
        XCTAssertEqual(message, glue.path + ":41:33: environment variable `SQUAD_DIR` is not set "
                       + "(used in \"${SQUAD_DIR}/dev-v1.1.json\"); set it, or write `${SQUAD_DIR:-default}`")
    }

    func testPositionsAreKeptForLaterMessages() throws {
        let file = try loadGlue()
        let sst2 = file.tasks[0], conll = file.tasks[1]
        XCTAssertEqual(sst2.location, glue.path + ":13:5")
        XCTAssertEqual(sst2.positions["name"], glue.path + ":13:11")
        XCTAssertEqual(sst2.positions["epochs"], glue.path + ":25:13")          // the task's own
        XCTAssertEqual(sst2.positions["batch_size"], glue.path + ":6:15")       // from defaults
        XCTAssertNil(sst2.positions["max_steps"])                             // built-in default
        XCTAssertEqual(sst2.positions["model"], glue.path + ":2:8")             // the file's model
        XCTAssertEqual(conll.positions["model"], glue.path + ":29:12")          // its own
        XCTAssertEqual(sst2.data.location, glue.path + ":17:7")
        XCTAssertEqual(sst2.data.positions["train"], glue.path + ":18:14")
        XCTAssertEqual(file.positions["tasks"], glue.path + ":13:3")
    }
}
