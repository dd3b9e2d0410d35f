import Foundation
import XCTest
import Tensor

/// `bertkit run --precision bf16` end to end, through the executable. On a CPU without bf16 units
/// the runs set BERTKIT_BF16_EMULATION=1 (oneDNN then emulates the bf16 products: the same values,
/// slower); the refusal without it is tested on such CPUs, its acceptance on the others.
final class MixedPrecisionRunTests: XCTestCase {
    var folder: URL!
    let emulation = ["BERTKIT_BF16_EMULATION": "1"]

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-bf16-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func requireOneDNN() throws {
        // oneDNN is a test dependency (scripts/setup.sh installs it): its absence fails the test
        if let why = BF16Support.missingBF16Matmul(.current()) { throw XCTSkip(why) }
        _ = try OneDNN.load()
    }

    struct Metrics: Decodable { var outcome: String; var final: [String: [String: Double]] }
    struct Manifest: Decodable { var trainingPrecision: String? }

    func testBF16TrainsAsWellAsFP32AndRecordsItsPrecision() throws {
        try requireOneDNN()
        var accuracy: [String: Double] = [:]
        for precision in ["fp32", "bf16"] {
            let run = folder.appendingPathComponent(precision)
            let result = try BertKitProcess.run(["run", try SyntheticTask.write(to: run).path, "--precision", precision], environment: emulation)
            XCTAssertEqual(result.status, 0, result.stderr)
            let task = run.appendingPathComponent("runs/has-z")
            let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
            accuracy[precision] = try XCTUnwrap(metrics.final["eval"]?["accuracy"])
            let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: task.appendingPathComponent("best/bertkit.json")))
            XCTAssertEqual(manifest.trainingPrecision, precision)
            // checkpoints stay float32 whatever the precision
            let weights = try SafeTensorsFile(contentsOf: task.appendingPathComponent("best/model.safetensors"))
            XCTAssertEqual(try weights.info(named: "classifier.weight").dtype, .f32)
        }
        XCTAssertGreaterThan(accuracy["bf16"]!, 0.65, "bf16 learns the task")
        XCTAssertEqual(accuracy["bf16"]!, accuracy["fp32"]!, accuracy: 0.05, "bf16 within 0.05 of fp32's accuracy")
    }

    func testResumedBF16RunEqualsAnUninterruptedOneBitForBit() throws {
        try requireOneDNN()
        let straight = folder.appendingPathComponent("straight"), resumed = folder.appendingPathComponent("resumed")
        let settings = ["--set", "epochs=2", "--set", "eval_steps=7", "--precision", "bf16"]
        let a = try BertKitProcess.run(["run", try SyntheticTask.write(to: straight).path] + settings, environment: emulation)
        XCTAssertEqual(a.status, 0, a.stderr)
        let taskFile = try SyntheticTask.write(to: resumed)
        let first = try BertKitProcess.run(["run", taskFile.path, "--interrupt-after-steps", "13"] + settings, environment: emulation)
        XCTAssertEqual(first.status, 130, first.stderr)
        let second = try BertKitProcess.run(["run", taskFile.path, "--resume"] + settings, environment: emulation)
        XCTAssertEqual(second.status, 0, second.stderr)
        let x = try SafeTensorsFile(contentsOf: straight.appendingPathComponent("runs/has-z/last/model.safetensors"))
        let y = try SafeTensorsFile(contentsOf: resumed.appendingPathComponent("runs/has-z/last/model.safetensors"))
        for name in x.names {
            XCTAssertEqual(try x.tensor(named: name).values.map(\.bitPattern), try y.tensor(named: name).values.map(\.bitPattern), name)
        }
    }

    func testBF16IsRefusedBeforeAnyWorkWhereTheCPUHasNoBF16Units() throws {
        let taskFile = try SyntheticTask.write(to: folder, extra: "    precision: bf16")
        let result = try BertKitProcess.run(["run", taskFile.path], environment: ["BERTKIT_BF16_EMULATION": "0"])
        if BF16Support.hasBF16Units(CPUFeatures.current()) {
            // this CPU can: the same file runs (oneDNN permitting)
            if (try? OneDNN.load()) != nil { XCTAssertEqual(result.status, 0, result.stderr) }
            return
        }
        XCTAssertNotEqual(result.status, 0)
        // the refusal points at the key: line 10 of the synthetic file, the value's column
        XCTAssertTrue(result.stderr.contains("\(taskFile.path):10:16: task `has-z`: precision bf16 needs bfloat16 units"), result.stderr)
        XCTAssertTrue(result.stderr.contains("use precision fp32"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/has-z").path), "no work was done")
        let predict = try BertKitProcess.run(["predict", "--model", "/nonexistent", "--precision", "bf16"],
                                             environment: ["BERTKIT_BF16_EMULATION": "0"])
        XCTAssertTrue(predict.stderr.contains("--precision bf16: precision bf16 needs bfloat16 units"), predict.stderr)
    }
}
