#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Runner
import XCTest

/// Killed at any point (issue 25): `bertkit run` is killed with SIGKILL at 20 random moments and
/// resumed after each; half the kills wait for a checkpoint write and land in one of its crash
/// windows (`AtomicDirectory`), helped by BERTKIT_TEST_CHECKPOINT_PAUSE_MS, which makes each
/// window last a few tens of milliseconds. After every kill, whichever of last/ and best/ exist
/// load (or, in the window where last/ was moved aside, the `.last.old-*` that the next run puts
/// back does); at the end the checkpoints, the predictions and the training log equal an
/// uninterrupted run's, bit for bit. BERTKIT_KILL_SEED=N replays one sequence of moments.
final class KillAndResumeTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// 24 examples in batches of 4: 6 steps an epoch, 8 epochs; an evaluation every 3 steps
    /// whose eval loss mostly falls, so best/ is written often, and last/ at each epoch end.
    static let defaults = "epochs: 8, batch_size: 4, learning_rate: 1e-3, warmup_ratio: 0.1, weight_decay: 0.01, "
        + "max_seq_length: 16, seed: 7, logging_steps: 1, threads: 1, eval_steps: 3, metric_for_best_model: loss"
    static let totalSteps = 48, stepsPerEpoch = 6
    static let kills = 20
    /// How long each crash window of a write lasts in the killed runs.
    static let pauseMilliseconds = 40

    /// Where a kill found the task folder.
    enum Landing: String, CaseIterable {
        case outsideWrites = "outside any checkpoint write"
        case temporaryFolder = "in a write, the new folder still temporary (.tmp-)"
        case movedAway = "in a write, the old folder moved aside and the new one not yet in place"
        case published = "in a write, the new folder in place and the old one not yet deleted"
    }

    func testKilledAtTwentyRandomMomentsResumesToAnUninterruptedRunsWeightsBitForBit() throws {
        let seed = ProcessInfo.processInfo.environment["BERTKIT_KILL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...999_999)
        print("KillAndResumeTests: seed \(seed) (BERTKIT_KILL_SEED=\(seed) replays it)")
        var random = SplitMix(state: seed)
        let started = Date()

        // the uninterrupted run on the other core, while this one is killed again and again
        let straight = try FaultRun(in: folder.appendingPathComponent("straight"), trainCount: 24, devCount: 8, defaults: Self.defaults)
        final class Box: @unchecked Sendable { var result: Result<BertKitProcess.Result, Error>? }
        let reference = Box()
        let straightDone = DispatchGroup()
        straightDone.enter()
        DispatchQueue.global().async { reference.result = Result { try straight.run() }; straightDone.leave() }
        defer { straightDone.wait() }    // not before: tearDown deletes its folder

        let killed = try FaultRun(in: folder.appendingPathComponent("killed"), trainCount: 24, devCount: 8, defaults: Self.defaults)
        var landings: [Landing] = []
        var everWritten: Set<String> = []
        var movedAwayHit = false
        let windows: [Landing] = [.movedAway, .temporaryFolder, .published]
        var nextWindow = 0
        for number in 0..<Self.kills {
            let resumedStep = try resumeStep(of: killed)
            let resume = everWritten.contains("last")
            let before = killed.writeLeftovers()
            let launched = Date()
            let process = try start(killed, resume: resume, log: "process-\(number)")
            defer {    // a wait that failed leaves no run behind
                if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            }

            let target: String
            if number % 2 == 0 {
                // a write's window, the moved-aside one until a kill has landed in it
                let window = movedAwayHit ? windows[nextWindow % windows.count] : .movedAway
                if movedAwayHit { nextWindow += 1 }
                target = window.rawValue
                try waitForWindow(window, of: killed, process: process, known: before, launched: launched, random: &random)
            } else {
                // a random step of this process's training, then a random few milliseconds
                let step = min(resumedStep + 1 + Int(random.next() % 9), Self.totalSteps - 2 * Self.stepsPerEpoch)
                target = "step \(step)"
                try waitForStep(step, of: killed, process: process, launched: launched)
                usleep(UInt32(random.next() % 40_000))
            }
            guard process.isRunning else {
                return XCTFail("kill \(number + 1) (seed \(seed)): the run ended by itself before the kill: \(stderr(of: killed, "process-\(number)"))")
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal)

            let landing = classify(killed.writeLeftovers().subtracting(before), in: killed)
            landings.append(landing)
            if landing == .movedAway { movedAwayHit = true }
            print("kill \(number + 1): resumed at step \(resumedStep), aimed at \(target): \(landing.rawValue)")
            try assertCheckpointsLoad(killed, everWritten: &everWritten, kill: number + 1, seed: seed)
        }

        straightDone.wait()
        let uninterrupted = try XCTUnwrap(reference.result).get()
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)
        let finish = try killed.run(everWritten.contains("last") ? ["--resume"] : [])
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertTrue(finish.stdout.contains("finished"), finish.stdout)

        let inWrites = landings.filter { $0 != .outsideWrites }.count
        let counts = Landing.allCases.map { landing in "\(landings.filter { $0 == landing }.count) \(landing.rawValue)" }
        print("KillAndResumeTests: seed \(seed), \(Self.kills) kills: \(counts.joined(separator: "; ")); \(Int(Date().timeIntervalSince(started))) s")
        XCTAssertGreaterThanOrEqual(inWrites, 5, "kills inside a checkpoint write (seed \(seed))")
        XCTAssertTrue(movedAwayHit, "a kill landed while last/ or best/ was moved aside (seed \(seed))")

        // bit for bit: every file of both checkpoints (weights, optimizer moments, trainer state),
        // the predictions, and each step's loss, learning rate and gradient norm
        for checkpoint in ["last", "best"] {
            let expected = try FaultRun.files(under: straight.task.appendingPathComponent(checkpoint))
            let actual = try FaultRun.files(under: killed.task.appendingPathComponent(checkpoint))
            XCTAssertEqual(actual.keys.sorted(), expected.keys.sorted(), checkpoint)
            for (name, bytes) in expected {
                XCTAssertTrue(actual[name] == bytes, "\(checkpoint)/\(name) differs from the uninterrupted run's (seed \(seed))")
            }
        }
        XCTAssertEqual(try Data(contentsOf: killed.task.appendingPathComponent("predictions.jsonl")),
                       try Data(contentsOf: straight.task.appendingPathComponent("predictions.jsonl")))
        let expectedLog = try logLines(straight), actualLog = try logLines(killed)
        XCTAssertEqual(expectedLog.map(\.step), Array(1...Self.totalSteps))
        XCTAssertEqual(actualLog.map(\.step), Array(1...Self.totalSteps), "each step logged once, after \(Self.kills) kills")
        XCTAssertTrue(actualLog == expectedLog, "the logged losses, learning rates and gradient norms")
    }

    /// A kill between moving best/ aside and renaming the new one in leaves best/ missing and
    /// `.best.old-*` complete. A resumed run puts it back before anything reads it, even when it
    /// writes no best/ of its own: here the best evaluation is the first (the highest loss, with
    /// greater_is_better), so the end of training restores those weights from best/, as the
    /// uninterrupted run does from memory.
    func testAResumeRepairsABestFolderThatAKillLeftMovedAside() throws {
        let defaults = "epochs: 2, batch_size: 4, learning_rate: 1e-3, warmup_ratio: 0.1, weight_decay: 0.01, max_seq_length: 16, "
            + "seed: 7, logging_steps: 1, threads: 1, metric_for_best_model: loss, greater_is_better: true"
        let straight = try FaultRun(in: folder.appendingPathComponent("straight"), trainCount: 24, devCount: 8, defaults: defaults)
        let reference = try straight.run()
        XCTAssertEqual(reference.status, 0, reference.stderr)
        XCTAssertTrue(reference.stderr.contains("restored the best checkpoint (step 6"), reference.stderr)

        let killed = try FaultRun(in: folder.appendingPathComponent("killed"), trainCount: 24, devCount: 8, defaults: defaults)
        let first = try killed.run(["--interrupt-after-steps", "8"])
        XCTAssertEqual(first.status, 130, first.stderr)
        try FileManager.default.moveItem(at: killed.best, to: killed.task.appendingPathComponent(".best.old-5eed"))
        let resumed = try killed.run(["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("restored the best checkpoint (step 6"), resumed.stderr)
        XCTAssertTrue(killed.writeLeftovers().isEmpty, "\(killed.writeLeftovers())")
        XCTAssertTrue(try FaultRun.files(under: killed.best) == FaultRun.files(under: straight.best), "best/ as the uninterrupted run's")
        XCTAssertEqual(try Data(contentsOf: killed.task.appendingPathComponent("predictions.jsonl")),
                       try Data(contentsOf: straight.task.appendingPathComponent("predictions.jsonl")))
    }

    // MARK: the killed runs

    func start(_ run: FaultRun, resume: Bool, log name: String) throws -> Process {
        let process = Process()
        process.executableURL = BertKitProcess.executable
        process.arguments = ["run", run.taskFile.path] + (resume ? ["--resume"] : [])
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["BERTKIT_TEST_CHECKPOINT_PAUSE_MS": "\(Self.pauseMilliseconds)"]) { $1 }
        let errors = run.folder.appendingPathComponent("\(name).stderr")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func stderr(of run: FaultRun, _ name: String) -> String {
        (try? String(contentsOf: run.folder.appendingPathComponent("\(name).stderr"), encoding: .utf8)) ?? ""
    }

    /// The step the next run resumes at: last/'s, or the `.last.old-*` it will put back.
    func resumeStep(of run: FaultRun) throws -> Int {
        let stateFile = "trainer_state/state.json"
        let candidates = [run.last] + olds("last", in: run)
        guard let folder = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent(stateFile).path) }) else {
            return 0
        }
        struct State: Decodable { var globalStep: Int }
        return try JSONDecoder().decode(State.self, from: Data(contentsOf: folder.appendingPathComponent(stateFile))).globalStep
    }

    func olds(_ name: String, in run: FaultRun) -> [URL] {
        run.writeLeftovers().filter { $0.hasPrefix(".\(name).old-") }.sorted().map { run.task.appendingPathComponent($0) }
    }

    /// The last step this process logged (0 before its first): train_log.jsonl once changed
    /// after the launch (until then it may hold steps a killed run logged past its last/).
    func loggedStep(of run: FaultRun, since launched: Date) -> Int {
        let log = run.task.appendingPathComponent("train_log.jsonl")
        guard let changed = (try? FileManager.default.attributesOfItem(atPath: log.path))?[.modificationDate] as? Date,
              changed > launched, let data = try? Data(contentsOf: log) else { return 0 }
        struct Line: Decodable { var step: Int }
        return data.split(separator: 0x0A).last.flatMap { try? JSONDecoder().decode(Line.self, from: Data($0)) }?.step ?? 0
    }

    func waitForStep(_ step: Int, of run: FaultRun, process: Process, launched: Date) throws {
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, loggedStep(of: run, since: launched) < step {
            guard Date() < deadline else { throw CLIError("no step \(step) within 120 s") }
            usleep(2_000)
        }
    }

    /// Waits until a checkpoint write that began after `known` is in `window`, then lets a random
    /// part of that window pass. Near the end of the plan it stops waiting, so that no killed
    /// run reaches its last epoch (which the final run does).
    func waitForWindow(_ window: Landing, of run: FaultRun, process: Process, known: Set<String>, launched: Date,
                       random: inout SplitMix) throws {
        let deadline = Date().addingTimeInterval(120)
        let pause = UInt64(Self.pauseMilliseconds) * 1000
        while process.isRunning {
            guard Date() < deadline else { throw CLIError("no write reached \(window.rawValue) within 120 s") }
            if loggedStep(of: run, since: launched) > Self.totalSteps - Self.stepsPerEpoch - 2 { return }
            let new = run.writeLeftovers().subtracting(known)
            let olds = new.filter { $0.contains(".old-") }
            let finalExists = { (old: String) in
                FileManager.default.fileExists(atPath: run.task.appendingPathComponent(old.hasPrefix(".last.") ? "last" : "best").path)
            }
            switch window {
            case .temporaryFolder where new.contains(where: { $0.contains(".tmp-") }) && olds.isEmpty:
                usleep(UInt32(random.next() % (2 * pause)))
                return
            case .movedAway where olds.contains(where: { !finalExists($0) }),
                 .published where olds.contains(where: finalExists):
                usleep(UInt32(random.next() % (pause / 2)))
                return
            default:
                usleep(1_000)
            }
        }
    }

    func classify(_ new: Set<String>, in run: FaultRun) -> Landing {
        guard !new.isEmpty else { return .outsideWrites }
        let olds = new.filter { $0.contains(".old-") }
        guard let old = olds.first else { return .temporaryFolder }
        let final = run.task.appendingPathComponent(old.hasPrefix(".last.") ? "last" : "best")
        return FileManager.default.fileExists(atPath: final.path) ? .published : .movedAway
    }

    /// Whichever of last/ and best/ exist load; where one is missing, the `.old-*` the next run
    /// puts back in its place loads; once written, neither is ever lost.
    func assertCheckpointsLoad(_ run: FaultRun, everWritten: inout Set<String>, kill: Int, seed: UInt64) throws {
        for (name, folder) in [("last", run.last), ("best", run.best)] {
            let olds = olds(name, in: run)
            let present = FileManager.default.fileExists(atPath: folder.path) ? folder : olds.first
            XCTAssertLessThanOrEqual(olds.count, 1, "kill \(kill): \(olds)")
            guard let present else {
                XCTAssertFalse(everWritten.contains(name), "kill \(kill) (seed \(seed)): \(name)/ was lost")
                continue
            }
            everWritten.insert(name)
            do {
                try CheckpointLoading.load(present, trainerState: name == "last")
            } catch {
                XCTFail("kill \(kill) (seed \(seed)): \(present.lastPathComponent) does not load: \(error)")
            }
        }
    }

    struct LogLine: Decodable, Equatable {
        var step: Int
        var loss: Double
        var learning_rate: Double
        var grad_norm: Double
    }

    func logLines(_ run: FaultRun) throws -> [LogLine] {
        try Data(contentsOf: run.task.appendingPathComponent("train_log.jsonl")).split(separator: 0x0A)
            .map { try JSONDecoder().decode(LogLine.self, from: Data($0)) }
    }
}

/// A reproducible stream of random numbers (splitmix64) for the kill moments.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
