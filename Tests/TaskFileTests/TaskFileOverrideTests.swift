import XCTest
@testable import TaskFile

/// `--set key=value` on a loaded task file, and `--task` selection.
final class TaskFileOverrideTests: XCTestCase {
    private let glue = taskFileFixture("realistic/configs/glue.yaml")
    private let environment = ["SQUAD_DIR": "/data/squad"]

    private func load(_ overrides: String...) throws -> TaskFile {
        try TaskFile.load(url: glue, overrides: overrides, environment: environment)
    }

    func testOverrideByTaskName() throws {
        let file = try load("tasks.conll2003.epochs=5", "tasks.squad.data.train=train-v1.1.json")
        XCTAssertEqual(file.tasks.map(\.training.epochs), [1, 5, 3])
        XCTAssertEqual(file.tasks[1].positions["epochs"], "--set tasks.conll2003.epochs=5")
        XCTAssertEqual(file.tasks[2].data.train?.path, glue.deletingLastPathComponent().path + "/train-v1.1.json")
    }

    func testOverrideOnDefaultsReachesTasksWithoutTheirOwnValue() throws {
        let file = try load("defaults.learning_rate=2e-5")
        XCTAssertEqual(file.tasks.map(\.training.learningRate), [3e-5, 2e-5, 2e-5])   // sst2 sets its own
        XCTAssertEqual(file.tasks[1].positions["learning_rate"], "--set defaults.learning_rate=2e-5")
    }

    func testBareTrainingKeyAppliesToEveryTask() throws {
        let file = try load("batch_size=8", "max_steps=100")
        XCTAssertEqual(file.tasks.map(\.training.batchSize), [8, 8, 8])
        XCTAssertEqual(file.tasks.map(\.training.maxSteps), [100, 100, 100])
        XCTAssertEqual(file.tasks[0].positions["batch_size"], "--set batch_size=8")
        // The command line wins over a task's own key too (sst2 sets epochs: 1 itself):
        // `--set seed=43` must change the seed of the run, whatever the file says.
        let epochs = try load("epochs=7")
        XCTAssertEqual(epochs.tasks.map(\.training.epochs), [7, 7, 7])
        XCTAssertEqual(epochs.tasks[0].positions["epochs"], "--set epochs=7")
        // a task-level override after it still wins for that task
        XCTAssertEqual(try load("epochs=7", "tasks.sst2.epochs=2").tasks.map(\.training.epochs), [2, 7, 7])
        // Without a `defaults:` block, one is made.
        let url = taskFileFixture("errors/unknown-key.yaml")
        let root = try YAMLParser.parse(contentsOfFile: url.path)
        let withDefaults = try TaskFile.apply(YAMLOverride(parsing: "seed=7"), to: root)
        let defaults = try withDefaults.mapping().nestedMapping("defaults")
        XCTAssertEqual(try defaults.required("seed", as: Int.self), 7)
        XCTAssertEqual(defaults.position, .override("--set seed=7"))
    }

    func testABareNonTrainingKeyAppliesToTheTop() throws {
        let file = try load("model=/models/other")
        XCTAssertEqual(file.model.path, "/models/other")
        XCTAssertEqual(file.tasks[0].model.path, "/models/other")
        XCTAssertEqual(file.tasks[1].model.path, "/opt/models/bert-base-cased")
        XCTAssertEqual(thrownDescription(try load("epoch=1")),
                       "--set epoch=1: unknown key `epoch`; allowed keys: defaults, model, output, tasks")
    }

    func testOverriddenValuesAreCheckedLikeWrittenOnes() throws {
        XCTAssertEqual(thrownDescription(try load("tasks.sst2.batch_size=0")),
                       "--set tasks.sst2.batch_size=0: `batch_size` must be at least 1, found 0")
        XCTAssertEqual(thrownDescription(try load("tasks.mnli.epochs=1")),
                       "--set tasks.mnli.epochs=1: no element of `tasks` (at \(glue.path):13:3) has `name: mnli`; "
                       + "names: sst2, conll2003, squad")
    }

    func testSelectingTasks() throws {
        let file = try load()
        let selected = try file.selecting(names: ["squad", "sst2", "squad"])
        XCTAssertEqual(selected.tasks.map(\.name), ["sst2", "squad"])    // file order, once each
        XCTAssertEqual(try file.selecting(names: []).tasks.count, 3)
        XCTAssertEqual(thrownDescription(try file.selecting(names: ["sst"])),
                       glue.path + ": no task named `sst`; did you mean `sst2`? tasks in this file: sst2, conll2003, squad")
        XCTAssertEqual(thrownDescription(try file.selecting(names: ["mnli"])),
                       glue.path + ": no task named `mnli`; tasks in this file: sst2, conll2003, squad")
    }
}
