import Foundation
import XCTest

/// `mpirun -np 2 bertkit run` on the tiny fixture model (docs/distributed.md): for each built-in
/// head, 2 ranks x batch 8 train as 1 process x batch 16 does; runs with dropout are repeatable
/// and resume bit for bit; a 2-rank evaluation equals a 1-process one; a killed rank stops the
/// job and leaves last/ loadable; rank 0 alone writes.
final class DataParallelRunTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Settings every run here shares: one thread per process (two ranks on two cores), the loss
    /// of every step logged.
    static let common = ["--set", "threads=1", "--set", "logging_steps=1"]

    /// The tiny fixture model with its dropout off (hidden and attention), so that the ranks'
    /// dropout streams, which differ from one process's, do not enter the comparison.
    func tinyBertWithoutDropout() throws -> URL {
        try withoutDropout(fixture: "tiny-bert", copyName: "tiny-bert-no-dropout")
    }

    /// A copy of a fixture model folder under the test's folder, its config's dropout set to 0.
    func withoutDropout(fixture: String, copyName: String) throws -> URL {
        let copy = folder.appendingPathComponent(copyName)
        try FileManager.default.copyItem(at: BertKitProcess.fixtures.appendingPathComponent(fixture), to: copy)
        let configURL = copy.appendingPathComponent("config.json")
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        XCTAssertEqual(config["hidden_dropout_prob"] as? Double, 0.1)
        XCTAssertEqual(config["attention_probs_dropout_prob"] as? Double, 0.1)
        config["hidden_dropout_prob"] = 0.0
        config["attention_probs_dropout_prob"] = 0.0
        // sorted keys: copies compared byte for byte must not depend on a dictionary's order
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]).write(to: configURL)
        return copy
    }

    /// Parameters the loss does not depend on in exact arithmetic, because they add the same
    /// number to every input of a softmax: every layer's attention key bias (q·b is the same for
    /// all the keys a query attends to), and for span extraction qa_outputs.bias and the last
    /// layer's output LayerNorm bias (each shifts every position's start logits alike, and every
    /// end logit alike). Their gradients are round-off only, which AdamW turns into steps of about
    /// the learning rate whose signs depend on the order of the sums: one process on 1 thread and
    /// on 2 threads already disagree on them as much as 1 process and 2 ranks do. The comparison
    /// checks them for being finite only.
    static func roundOffOnly(_ name: String, head: String) -> Bool {
        if name.hasSuffix("attention.self.key.bias") { return true }
        return head == "span-extraction" && (name == "qa_outputs.bias" || name == "bert.encoder.layer.1.output.LayerNorm.bias")
    }

    /// A task of a task file, as the comparisons need it: its head, how many training features
    /// it has, and the prediction files its evaluation writes.
    struct ComparedTask {
        var name: String
        var head: String
        var features: Int
        var predictionFiles: [String]
    }

    /// Trains `taskFile`'s `tasks` on 1 process x batch 16 (into one/) and on 2 ranks x batch 8
    /// (into two/) with the same seed, data and `settings`, and checks for each task that the
    /// logged losses of every step (`steps` of them) and the final weights (last/) agree, and that
    /// rank 0 alone reported. Then `--eval-only` of the 2-rank run's best/ checkpoints.
    func trainAlike(_ taskFile: URL, tasks: [ComparedTask], steps: Int, settings: [String] = []) throws {
        let launcher = try MPIRun.launcher()
        let one = try BertKitProcess.run(["run", taskFile.path, "--output", folder.appendingPathComponent("one").path,
                                          "--set", "batch_size=16"] + Self.common + settings)
        XCTAssertEqual(one.status, 0, one.stderr)
        // gradient buckets of 50 KiB instead of 25 MiB: the tiny model's 340 KB of gradients are
        // summed in several buckets, most of them started while the backward still runs
        let two = try BertKitProcess.run(["run", taskFile.path, "--output", folder.appendingPathComponent("two").path,
                                          "--set", "batch_size=8"] + Self.common + settings,
                                         environment: ["BERTKIT_BUCKET_MIB": "0.05"], launcher: launcher)
        XCTAssertEqual(two.status, 0, two.stderr)

        for task in tasks {
            let oneProcess = folder.appendingPathComponent("one/\(task.name)"), twoRanks = folder.appendingPathComponent("two/\(task.name)")
            try RunComparison.assertLossesAgree(oneProcess, twoRanks, steps: steps, relative: 1e-5)
            let compared = try RunComparison.assertWeightsAgree(
                oneProcess.appendingPathComponent("last/model.safetensors"), twoRanks.appendingPathComponent("last/model.safetensors"),
                relative: 1e-4, absolute: 1e-6, roundOffOnly: { Self.roundOffOnly($0, head: task.head) })
            XCTAssertGreaterThan(compared.count, 30, "all but a few of the tiny model's tensors are compared closely")

            // metrics.json says how the run was split; the other rank printed and logged nothing
            let single = try RunComparison.metrics(oneProcess), split = try RunComparison.metrics(twoRanks)
            XCTAssertEqual(single.outcome, "finished")
            XCTAssertEqual(split.outcome, "finished")
            XCTAssertEqual([single.ranks, single.global_batch_size], [1, 16])
            XCTAssertEqual([split.ranks, split.global_batch_size], [2, 16])
            XCTAssertEqual(two.stdout.components(separatedBy: "[\(task.name)] finished: ").count, 2, "one result line:\n\(two.stdout)")
            XCTAssertEqual(two.stderr.components(separatedBy: "[\(task.name)] 2 ranks x batch 8 = global batch 16, 1 thread per rank\n").count, 2,
                           two.stderr)
            XCTAssertEqual(two.stderr.components(separatedBy: "[\(task.name)] done: \(steps) steps").count, 2, two.stderr)
            XCTAssertTrue(one.stderr.contains("[\(task.name)] \(task.features) training features, "), one.stderr)
            XCTAssertTrue(two.stderr.contains("[\(task.name)] \(task.features) training features, "), two.stderr)
            // no checkpoint half written by a second writer left beside best/ and last/
            let hidden = try FileManager.default.contentsOfDirectory(atPath: twoRanks.path).filter { $0.hasPrefix(".") }
            XCTAssertEqual(hidden, [], twoRanks.path)
        }
        try assertEvaluationsAgree(taskFile, tasks: tasks)
    }

    /// `--eval-only` of the 2-rank run's best/ of each task, on 1 process and on 2 ranks, with the
    /// same evaluation batches (`eval_batch_size` is per rank; each rank predicts every other
    /// batch): the same final metrics, and the same prediction files byte for byte.
    func assertEvaluationsAgree(_ taskFile: URL, tasks: [ComparedTask]) throws {
        let models = tasks.flatMap { ["--set", "tasks.\($0.name).model=\(folder.appendingPathComponent("two/\($0.name)/best").path)"] }
        let settings = ["run", taskFile.path, "--eval-only", "--set", "eval_batch_size=5"] + models + Self.common
        let one = try BertKitProcess.run(settings + ["--output", folder.appendingPathComponent("eval-one").path])
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try BertKitProcess.run(settings + ["--output", folder.appendingPathComponent("eval-two").path], launcher: try MPIRun.launcher())
        XCTAssertEqual(two.status, 0, two.stderr)
        for task in tasks {
            let single = folder.appendingPathComponent("eval-one/\(task.name)"), split = folder.appendingPathComponent("eval-two/\(task.name)")
            XCTAssertEqual(try RunComparison.metrics(split).ranks, 2)
            XCTAssertEqual(try RunComparison.metrics(split).outcome, "evaluated")
            XCTAssertFalse(try XCTUnwrap(try RunComparison.metrics(single).final["eval"]).isEmpty)
            try RunComparison.assertFinalMetricsAgree(single, split, absolute: 1e-9)
            for file in task.predictionFiles {
                let expected = try Data(contentsOf: single.appendingPathComponent(file))
                XCTAssertFalse(expected.isEmpty, file)
                XCTAssertEqual(try Data(contentsOf: split.appendingPathComponent(file)), expected, "\(task.name): \(file)")
            }
        }
    }

    // MARK: - one process and two ranks train alike, for each head

    /// Class weights make the loss a weighted mean (Σ w·loss / Σ w over the global batch): the
    /// ranks must divide by the weights summed over both. 309 = 19 x 16 + 5 examples: the 20th
    /// step's global batch is 5 features, split 3 and 2.
    func testSequenceClassificationWithClassWeightsTrainsAsOneProcess() throws {
        let taskFile = try SyntheticTask.write(to: folder, trainCount: 309, devCount: 24)
        let yaml = try String(contentsOf: taskFile, encoding: .utf8)
        XCTAssertTrue(yaml.contains("    metrics: [accuracy, f1]\n"))
        try Data(yaml.replacingOccurrences(of: "    metrics: [accuracy, f1]\n", with: "    metrics: [accuracy, f1]\n    class_weights: [1, 3]\n").utf8)
            .write(to: taskFile)
        try trainAlike(taskFile, tasks: [ComparedTask(name: "has-z", head: "sequence-classification", features: 309,
                                                      predictionFiles: ["predictions.jsonl"])],
                       steps: 20, settings: ["--set", "epochs=1", "--set", "model=\(try tinyBertWithoutDropout().path)"])
    }

    /// Token classification averages over the labelled tokens of the global batch, not the
    /// sequences; the CRF head (a plugin the executable registers) over the sequences with a
    /// labelled token. 305 = 19 x 16 + 1 sentences, one feature each: the 20th step's global batch is
    /// one feature, and rank 1 has nothing to train on (it still sums its zero gradients).
    func testTokenClassificationAndItsCRFTrainAsOneProcess() throws {
        try Data(NEREndToEndTests.conll(sentences: 305, seed: 1).utf8).write(to: folder.appendingPathComponent("train.txt"))
        try Data(NEREndToEndTests.conll(sentences: 24, seed: 2).utf8).write(to: folder.appendingPathComponent("dev.txt"))
        let yaml = """
            model: \(try tinyBertWithoutDropout().path)
            output: runs
            defaults: {epochs: 1, learning_rate: 3e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 32, seed: 7}
            tasks:
              - name: zeds
                head: token-classification
                data: {format: conll, train: train.txt, eval: dev.txt, token_column: 0, tag_column: -1, scheme: iob2}
                metrics: [seqeval]
              - name: zeds-crf
                head: token-classification-crf
                data: {format: conll, train: train.txt, eval: dev.txt, token_column: 0, tag_column: -1, scheme: iob2}
                metrics: [seqeval]
            """
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
        let files = ["predictions.jsonl", "predictions.conll"]
        try trainAlike(taskFile, tasks: [ComparedTask(name: "zeds", head: "token-classification", features: 305, predictionFiles: files),
                                         ComparedTask(name: "zeds-crf", head: "token-classification-crf", features: 305, predictionFiles: files)],
                       steps: 20)
    }

    /// Span extraction on the Jacksonville SQuAD fixture (its 467 windows of 64 tokens, training
    /// stopped after 20 steps), evaluated on paragraphs 14-20.
    func testSpanExtractionTrainsAsOneProcess() throws {
        let article = BertKitProcess.fixtures.appendingPathComponent("qa/jacksonville-v1.1.json")
        try FileManager.default.copyItem(at: article, to: folder.appendingPathComponent("train.json"))
        var squad = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: article)) as? [String: Any])
        var articles = try XCTUnwrap(squad["data"] as? [[String: Any]])
        let paragraphs = try XCTUnwrap(articles[0]["paragraphs"] as? [Any])
        articles[0]["paragraphs"] = Array(paragraphs[14..<21])
        squad["data"] = articles
        try JSONSerialization.data(withJSONObject: squad).write(to: folder.appendingPathComponent("eval.json"))
        let yaml = """
            model: \(try tinyBertWithoutDropout().path)
            output: runs
            defaults: {max_steps: 20, learning_rate: 2e-3, warmup_ratio: 0.1, weight_decay: 0.01, seed: 3}
            tasks:
              - name: squad
                head: span-extraction
                data: {format: squad, train: train.json, eval: eval.json}
                metrics: [squad]
                max_seq_length: 64
                doc_stride: 16
            """
        let taskFile = folder.appendingPathComponent("tasks.yaml")
        try Data(yaml.utf8).write(to: taskFile)
        try trainAlike(taskFile, tasks: [ComparedTask(name: "squad", head: "span-extraction", features: 467,
                                                      predictionFiles: ["predictions.jsonl", "predictions.json", "nbest_predictions.json"])],
                       steps: 20)
    }

    // MARK: - dropout, resume

    /// The synthetic task with the fixture model as it is (dropout 0.1): 69 = 4 x 16 + 5
    /// examples, 5 steps an epoch, 3 epochs.
    func dropoutTask() throws -> URL {
        let taskFile = try SyntheticTask.write(to: folder, trainCount: 69, devCount: 24)
        XCTAssertTrue(try String(contentsOf: taskFile, encoding: .utf8).contains("tiny-bert\n"), "the unmodified fixture model")
        return taskFile
    }

    func runTwoRanks(_ taskFile: URL, output: String, _ extra: [String] = []) throws -> BertKitProcess.Result {
        try BertKitProcess.run(["run", taskFile.path, "--output", folder.appendingPathComponent(output).path,
                                "--set", "batch_size=8", "--set", "epochs=3"] + Self.common + extra,
                               launcher: try MPIRun.launcher())
    }

    /// Each rank's dropout comes from a key of its own for each step: two runs draw the same.
    func testTwoRankRunsWithDropoutGiveIdenticalWeights() throws {
        let taskFile = try dropoutTask()
        for output in ["first", "second"] {
            let result = try runTwoRanks(taskFile, output: output)
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let weights = { (output: String) in try Data(contentsOf: self.folder.appendingPathComponent("\(output)/has-z/last/model.safetensors")) }
        XCTAssertEqual(try weights("first"), try weights("second"), "bit for bit")
        XCTAssertEqual(try RunComparison.log(folder.appendingPathComponent("first/has-z")).map(\.loss),
                       try RunComparison.log(folder.appendingPathComponent("second/has-z")).map(\.loss))

        // and dropout is on: without it, the first step's loss (same weights, same batch) differs
        let off = try runTwoRanks(taskFile, output: "off", ["--set", "max_steps=1", "--set", "model=\(try tinyBertWithoutDropout().path)"])
        XCTAssertEqual(off.status, 0, off.stderr)
        let withDropout = try RunComparison.log(folder.appendingPathComponent("first/has-z"))[0].loss
        let without = try RunComparison.log(folder.appendingPathComponent("off/has-z"))[0].loss
        XCTAssertGreaterThan(abs(withDropout - without), 1e-4, "dropout changes the loss: \(withDropout) against \(without)")
    }

    /// Interrupted after step 7 (in the second epoch, with evaluations and best/ behind it), then
    /// resumed on 2 ranks: the weights, and every logged loss, of the uninterrupted run.
    func testResumeOnTwoRanksGivesTheUninterruptedWeights() throws {
        let taskFile = try dropoutTask()
        let whole = try runTwoRanks(taskFile, output: "whole")
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let interrupted = try runTwoRanks(taskFile, output: "parts", ["--interrupt-after-steps", "7"])
        XCTAssertEqual(interrupted.status, 130, "mpirun passes on the ranks' exit status of an interrupted run")
        XCTAssertTrue(interrupted.stdout.contains("[has-z] interrupted: "), interrupted.stdout)
        XCTAssertEqual(try RunComparison.log(folder.appendingPathComponent("parts/has-z")).map(\.step), Array(1...7))
        let resumed = try runTwoRanks(taskFile, output: "parts", ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("[has-z] resuming at step 7 of 15"), resumed.stderr)

        let weights = { (output: String) in try Data(contentsOf: self.folder.appendingPathComponent("\(output)/has-z/last/model.safetensors")) }
        XCTAssertEqual(try weights("parts"), try weights("whole"), "bit for bit")
        let wholeLog = try RunComparison.log(folder.appendingPathComponent("whole/has-z"))
        let partsLog = try RunComparison.log(folder.appendingPathComponent("parts/has-z"))
        XCTAssertEqual(wholeLog.map(\.step), Array(1...15))
        XCTAssertEqual(partsLog.map(\.step), wholeLog.map(\.step))
        XCTAssertEqual(partsLog.map(\.loss), wholeLog.map(\.loss))
    }

    /// last/ written by one process cannot be resumed on 2 ranks (the global batches, slices and
    /// dropout streams depend on the count): refused on every rank, naming both counts.
    func testResumeOnAnotherNumberOfRanksIsRefused() throws {
        let taskFile = try dropoutTask()
        let output = folder.appendingPathComponent("one").path
        let alone = try BertKitProcess.run(["run", taskFile.path, "--output", output, "--set", "batch_size=16", "--set", "epochs=3",
                                            "--interrupt-after-steps", "3"] + Self.common)
        XCTAssertEqual(alone.status, 130, alone.stderr)
        let resumed = try runTwoRanks(taskFile, output: "one", ["--resume"])
        XCTAssertNotEqual(resumed.status, 0)
        XCTAssertTrue(resumed.stderr.contains("was written by a run on 1 process; resume it on as many (without mpirun), not 2"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("bertkit: rank "), "the message names the rank: \(resumed.stderr)")
        // last/ is the interrupted run's, untouched
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("one/has-z/last/trainer_state/state.json"))) as? [String: Any]
        XCTAssertEqual(state?["globalStep"] as? Int, 3)
    }

    /// Started by another MPI's mpiexec (PMI_SIZE, PMI_RANK): Open MPI would see a job of one, and
    /// each rank would train alone into the same folder; refused instead, before any file.
    func testAnotherMPIsLauncherIsRefused() throws {
        let taskFile = try dropoutTask()
        let result = try BertKitProcess.run(["run", taskFile.path, "--output", folder.appendingPathComponent("mpich").path],
                                            environment: ["PMI_SIZE": "2", "PMI_RANK": "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("mpiexec started 2 ranks, but Open MPI sees a job of 1"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("mpich").path))
    }

    // MARK: - faults

    /// SIGKILL to rank 1 while the job trains: mpirun and rank 0 end within 10 s, mpirun with a
    /// failure, and last/ (written at every epoch end) is a checkpoint `bertkit predict` loads.
    func testKillingOneRankStopsTheJobAndLeavesLastLoadable() throws {
        let launcher = try MPIRun.launcher()
        let taskFile = try dropoutTask()
        let task = folder.appendingPathComponent("runs/has-z")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher[0])
        // 500 epochs of 5 steps: minutes of training, were it not killed
        process.arguments = Array(launcher.dropFirst()) + [BertKitProcess.executable.path, "run", taskFile.path,
                                                           "--output", folder.appendingPathComponent("runs").path,
                                                           "--set", "batch_size=8", "--set", "epochs=500"] + Self.common
        let log = folder.appendingPathComponent("mpirun.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        var ranks: [Int: pid_t] = [:]
        // whatever happens below, nothing of this job outlives the test
        defer {
            for pid in ranks.values where !MPIRun.hasEnded(pid) { kill(pid, SIGKILL) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        // both ranks started, and the first epoch's last/ written
        let last = task.appendingPathComponent("last")
        let started = Date()
        while Date().timeIntervalSince(started) < 120, process.isRunning,
              ranks.count < 2 || !FileManager.default.fileExists(atPath: last.appendingPathComponent("model.safetensors").path) {
            Thread.sleep(forTimeInterval: 0.05)
            ranks = MPIRun.ranks(of: process.processIdentifier)
        }
        XCTAssertTrue(process.isRunning, "still training when rank 1 is killed:\n\(logText())")
        XCTAssertEqual(ranks.keys.sorted(), [0, 1], "mpirun's children are the two ranks")
        let victim = try XCTUnwrap(ranks[1]), survivor = try XCTUnwrap(ranks[0])

        XCTAssertEqual(kill(victim, SIGKILL), 0)
        let killed = Date()
        while Date().timeIntervalSince(killed) < 10, process.isRunning || !MPIRun.hasEnded(survivor) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let seconds = Date().timeIntervalSince(killed)
        XCTAssertFalse(process.isRunning, "mpirun still runs 10 s after rank 1 was killed")
        XCTAssertTrue(MPIRun.hasEnded(survivor), "rank 0 still runs 10 s after rank 1 was killed")
        guard !process.isRunning else { return }
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0, logText())
        print("mpirun and rank 0 ended \(String(format: "%.1f", seconds)) s after rank 1 was killed")

        // last/ is a whole checkpoint: a model to predict with, and a state to resume from
        struct State: Decodable { var globalStep: Int }
        let state = try JSONDecoder().decode(State.self, from: Data(contentsOf: last.appendingPathComponent("trainer_state/state.json")))
        XCTAssertGreaterThanOrEqual(state.globalStep, 5)
        XCTAssertEqual(state.globalStep % 5, 0, "written at an epoch end")
        let predicted = try BertKitProcess.run(["predict", "--model", last.path], input: "{\"text\": \"a b z c\"}\n")
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        struct Prediction: Decodable { var label: String }
        let prediction = try JSONDecoder().decode(Prediction.self, from: Data(predicted.stdout.utf8))
        XCTAssertTrue(["yes", "no"].contains(prediction.label))
    }

    /// Ranks that start from different weights (here: another seed, so another head
    /// initialisation, on rank 1) are stopped before training, each saying which rank it is.
    func testRanksWithDifferentStartingWeightsStopNamingTheRank() throws {
        let launcher = try MPIRun.launcher(ranks: 1)
        let taskFile = try dropoutTask()
        let arguments = ["run", taskFile.path, "--output", folder.appendingPathComponent("runs").path] + Self.common
        // an MPMD job: `mpirun -np 1 bertkit run ... : -np 1 bertkit run ... --set seed=8`
        let result = try BertKitProcess.run(arguments + ["--set", "seed=8"],
                                            launcher: launcher + [BertKitProcess.executable.path] + arguments + [":", "-np", "1"])
        XCTAssertNotEqual(result.status, 0)
        // both ranks find it; the first to abort may end the other before it has spoken
        let said = (0..<2).filter { result.stderr.contains("bertkit: rank \($0) of 2: the parameters of rank 1 differ from rank 0's at the start") }
        XCTAssertFalse(said.isEmpty, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/has-z/last").path))
    }
}
