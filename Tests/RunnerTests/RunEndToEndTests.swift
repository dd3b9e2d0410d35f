import Foundation
import XCTest
import Tensor

/// `bertkit run` on the tiny fixture model and a synthetic task, through the executable.
final class RunEndToEndTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    struct Metrics: Decodable {
        var outcome: String
        var final: [String: [String: Double]]
        var history: [History]
        var best: Best?
        struct History: Decodable { var step: Int; var metrics: [String: Double] }
        struct Best: Decodable { var step: Int }
    }

    struct LogLine: Decodable { var step: Int; var loss: Double; var learning_rate: Double }

    func testTrainsLearnsAndWritesEveryOutput() throws {
        let taskFile = try SyntheticTask.write(to: folder)
        let result = try BertKitProcess.run(["run", taskFile.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let task = folder.appendingPathComponent("runs/has-z")
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
        XCTAssertEqual(metrics.outcome, "finished")
        let accuracy = try XCTUnwrap(metrics.final["eval"]?["accuracy"])
        XCTAssertGreaterThan(accuracy, 0.5 + 0.15, "beats the majority class (0.5) clearly")
        XCTAssertEqual(metrics.history.count, 4, "one evaluation per epoch")

        let log = try String(contentsOf: task.appendingPathComponent("train_log.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(LogLine.self, from: Data($0.utf8)) }
        XCTAssertEqual(log.last?.step, 80, "320 examples / 16 = 20 steps per epoch, 4 epochs")
        let firstLosses = log.prefix(3).map(\.loss).reduce(0, +) / 3
        let lastLosses = log.suffix(3).map(\.loss).reduce(0, +) / 3
        XCTAssertLessThan(lastLosses, firstLosses * 0.8, "the loss falls")

        for file in ["predictions.jsonl", "summary.md", "loss.svg", "best/model.safetensors", "best/config.json", "best/vocab.txt",
                     "best/bertkit.json", "last/model.safetensors", "last/trainer_state/state.json", "last/trainer_state/optimizer.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: task.appendingPathComponent(file).path), file)
        }
        let predictions = try String(contentsOf: task.appendingPathComponent("predictions.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(predictions.count, 80)

        // predict with the best checkpoint
        let predicted = try BertKitProcess.run(["predict", "--model", task.appendingPathComponent("best").path],
                                               input: "{\"text\": \"a b z c\"}\n{\"text\": \"a b c d\"}\n")
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        XCTAssertEqual(predicted.stdout.split(separator: "\n").count, 2)
    }

    /// The synthetic task with `settings` (2 epochs, an evaluation every 7 steps, and more) run
    /// straight in straight/, and in resumed/ interrupted after step 13, then resumed.
    func runStraightAndResumed(_ settings: [String]) throws -> (straight: URL, resumed: URL,
                                                                straightRun: BertKitProcess.Result, resumedRun: BertKitProcess.Result) {
        let straight = folder.appendingPathComponent("straight"), resumed = folder.appendingPathComponent("resumed")
        let settings = ["--set", "epochs=2", "--set", "eval_steps=7"] + settings
        let a = try BertKitProcess.run(["run", try SyntheticTask.write(to: straight).path] + settings)
        XCTAssertEqual(a.status, 0, a.stderr)
        let taskFile = try SyntheticTask.write(to: resumed)
        let first = try BertKitProcess.run(["run", taskFile.path, "--interrupt-after-steps", "13"] + settings)
        XCTAssertEqual(first.status, 130, first.stderr)
        let second = try BertKitProcess.run(["run", taskFile.path, "--resume"] + settings)
        XCTAssertEqual(second.status, 0, second.stderr)
        return (straight, resumed, a, second)
    }

    func testInterruptedAndResumedRunEqualsAnUninterruptedOneBitForBit() throws {
        let (straight, resumed, _, _) = try runStraightAndResumed([])
        for checkpoint in ["last", "best"] {
            let x = try SafeTensorsFile(contentsOf: straight.appendingPathComponent("runs/has-z/\(checkpoint)/model.safetensors"))
            let y = try SafeTensorsFile(contentsOf: resumed.appendingPathComponent("runs/has-z/\(checkpoint)/model.safetensors"))
            XCTAssertEqual(x.names, y.names)
            for name in x.names {
                XCTAssertEqual(try x.tensor(named: name).values.map(\.bitPattern), try y.tensor(named: name).values.map(\.bitPattern), "\(checkpoint) \(name)")
            }
        }
    }

    /// The best weights have one owner, the trainer: at the end it puts them back from memory, or
    /// from best/ when the run was resumed after its best evaluation. Here the best is the first
    /// evaluation (the lowest f1, with greater_is_better false), before the interruption: the
    /// resumed run restores it from disk, the straight one from memory, and both report the
    /// evaluation of those weights, to the last digit.
    func testTheBestWeightsComeBackFromMemoryOrFromBestAfterAResume() throws {
        let (straight, resumed, a, second) = try runStraightAndResumed(["--set", "greater_is_better=false"])
        func metrics(_ run: URL) throws -> Metrics {
            try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: run.appendingPathComponent("runs/has-z/metrics.json")))
        }
        let (x, y) = (try metrics(straight), try metrics(resumed))
        let best = try XCTUnwrap(x.best?.step)
        XCTAssertLessThan(best, 13, "the best evaluation comes before the interruption")
        XCTAssertEqual(y.best?.step, best)
        for (run, output) in [(x, a.stderr), (y, second.stderr)] {
            XCTAssertTrue(output.contains("restored the best checkpoint (step \(best),"), output)
            let atBest = try XCTUnwrap(run.history.first { $0.step == best }?.metrics)
            XCTAssertEqual(run.final["eval"], atBest, "the final evaluation is that of the best weights")
        }
        XCTAssertEqual(x.final, y.final)
    }
}
