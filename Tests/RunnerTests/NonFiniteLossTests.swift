import Backbone
import Foundation
import Heads
@testable import Runner
import Tensor
import XCTest

/// A loss that becomes NaN or infinite stops the task (issue 25): a message names the step and
/// the last good checkpoint, which is kept, and no checkpoint is ever written with parameters
/// that are not finite.
final class NonFiniteLossTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-nan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        BuiltIns.register()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A learning rate of 10^6: the loss is finite for the first epoch (4 steps, checkpoints at
    /// its end), then overflows.
    func testAHugeLearningRateStopsAtTheStepAndNamesTheLastGoodCheckpoint() throws {
        let run = try FaultRun(in: folder, trainCount: 32, devCount: 8, defaults:
            "epochs: 3, batch_size: 8, learning_rate: 1e6, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 16, seed: 7, logging_steps: 1, threads: 1")
        let result = try run.run()
        XCTAssertEqual(result.status, 1, result.stderr)

        // error: [has-z] the loss became nan at step 6; training stopped, the last good checkpoint,
        // kept as it was, is <path> (step 4). Lower learning_rate or check the data
        let pattern = #/error: \[has-z\] the loss became (-?nan|-?inf) at step (\d+); training stopped, the last good checkpoint, kept as it was, is (\S+) \(step (\d+)\)\. Lower learning_rate/#
        let match = try XCTUnwrap(result.stderr.firstMatch(of: pattern), result.stderr)
        let badStep = try XCTUnwrap(Int(match.output.2)), keptStep = try XCTUnwrap(Int(match.output.4))
        let kept = URL(fileURLWithPath: String(match.output.3))
        XCTAssertEqual(kept.path, run.last.path, "last/ comes after best/ at the same epoch end")
        XCTAssertGreaterThan(badStep, keptStep)
        XCTAssertEqual(keptStep, 4, "the first epoch's end")

        // the kept checkpoint is the one of that step, loads, and holds finite weights; so does best/
        struct State: Decodable { var globalStep: Int }
        let state = try JSONDecoder().decode(State.self, from: Data(contentsOf: kept.appendingPathComponent("trainer_state/state.json")))
        XCTAssertEqual(state.globalStep, keptStep)
        for (checkpoint, trainerState) in [(run.last, true), (run.best, false)] {
            let model = try CheckpointLoading.load(checkpoint, trainerState: trainerState)
            XCTAssertNil(CheckpointStore.firstNonFinite(model.namedParameters), checkpoint.path)
            let moments = checkpoint.appendingPathComponent("trainer_state/optimizer.safetensors")
            if trainerState {
                let file = try SafeTensorsFile(contentsOf: moments)
                for name in file.names {
                    let tensor = try file.tensor(named: name)
                    XCTAssertTrue((0..<tensor.count).allSatisfy { tensor.data[$0].isFinite }, name)
                }
            }
        }
        XCTAssertTrue(run.writeLeftovers().isEmpty, "\(run.writeLeftovers())")

        // the log has every step before the bad one, each loss finite
        struct Line: Decodable { var step: Int; var loss: Double? }
        let lines = try Data(contentsOf: run.task.appendingPathComponent("train_log.jsonl")).split(separator: 0x0A)
            .map { try JSONDecoder().decode(Line.self, from: Data($0)) }
        XCTAssertEqual(lines.map(\.step), Array(1..<badStep))
        XCTAssertTrue(lines.allSatisfy { $0.loss?.isFinite == true }, "\(lines.map(\.loss))")
    }

    /// On 2 ranks the loss and the gradients are sums over both, so both stop at the same step
    /// with the same message, and rank 0's last/ (written at the first epoch's end) loads, finite.
    func testBothRanksOfADataParallelRunStopAtTheSameStep() throws {
        let run = try FaultRun(in: folder, trainCount: 32, devCount: 8, defaults:
            "epochs: 3, batch_size: 4, learning_rate: 1e6, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 16, seed: 7, logging_steps: 1, threads: 1")
        let result = try run.run(launcher: try MPIRun.launcher(ranks: 2))
        XCTAssertNotEqual(result.status, 0, result.stderr)
        let pattern = #/bertkit: rank (\d) of 2: \[has-z\] the loss became -?nan at step (\d+); training stopped, the last good checkpoint, kept as it was, is (\S+) \(step (\d+)\)/#
        let messages = result.stderr.matches(of: pattern)
        // a rank that MPI_Abort ends first may not get to print: at least one, and all alike
        XCTAssertGreaterThanOrEqual(messages.count, 1, result.stderr)
        XCTAssertEqual(Set(messages.map { "\($0.output.2) \($0.output.3) \($0.output.4)" }).count, 1, result.stderr)
        let first = try XCTUnwrap(messages.first)
        XCTAssertGreaterThan(try XCTUnwrap(Int(first.output.2)), 4)
        XCTAssertEqual(String(first.output.3), run.last.path)
        XCTAssertEqual(first.output.4, "4")
        let model = try CheckpointLoading.load(run.last, trainerState: true)
        XCTAssertNil(CheckpointStore.firstNonFinite(model.namedParameters))
    }

    /// The store refuses a model with a NaN before it writes anything: last/ keeps its bytes.
    func testACheckpointWithANonFiniteParameterIsNotWritten() throws {
        let run = try FaultRun(in: folder, trainCount: 8, devCount: 4, defaults: "epochs: 1, batch_size: 4, seed: 7")
        let spec = try XCTUnwrap(TaskFileLoader.load(run.taskFile.path, overrides: [], tasks: [], output: nil).tasks.first)
        let descriptor = try HeadRegistry.descriptor(named: spec.head)
        var stream = RandomStream(key: 1)
        let model = try TaskModel.load(from: ModelFolder(spec.model), descriptor: descriptor, labels: ["no", "yes"],
                                       options: spec.headConfig, stream: &stream, warn: { _ in })
        let store = CheckpointStore(taskDirectory: run.task, sourceModel: spec.model, spec: spec, labels: ["no", "yes"])
        try store.write(to: store.last, model: model, descriptor: descriptor, optimizer: nil, state: nil)
        let written = try FaultRun.files(under: store.last)

        let (name, tensor) = model.namedParameters[model.namedParameters.count / 2]
        tensor.data[tensor.count - 1] = .infinity
        XCTAssertThrowsError(try store.write(to: store.last, model: model, descriptor: descriptor, optimizer: nil, state: nil)) { error in
            let refused = error as? CheckpointStore.NonFiniteParameter
            XCTAssertEqual(refused?.name, name)
            XCTAssertEqual(refused?.value, .infinity)
        }
        XCTAssertEqual(try FaultRun.files(under: store.last), written)
        XCTAssertTrue(run.writeLeftovers().isEmpty)
    }
}
