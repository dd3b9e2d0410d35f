import Foundation
import XCTest

/// A task's `threads` holds for that task alone: the next task of the same file runs on every
/// core again (metrics.json records the count each task ran on).
final class TaskThreadsTests: XCTestCase {
    struct Metrics: Decodable { var task: String; var threads: Int }

    func testASecondTaskRunsOnAllCoresAfterAFirstThatAskedForOne() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-threads-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        // the synthetic task once with `threads: 1`, then a copy of it without `threads`
        let taskFile = try SyntheticTask.write(to: folder, trainCount: 32, devCount: 16, extra: """
              - name: has-z-again
                head: sequence-classification
                head_config: {pooling: mean}
                data: {format: tsv, train: train.tsv, eval: dev.tsv, text: sentence, label: label}
                metrics: [accuracy]
            """)
        var yaml = try String(contentsOf: taskFile, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "    metrics: [accuracy, f1]\n", with: "    metrics: [accuracy, f1]\n    threads: 1\n")
        XCTAssertTrue(yaml.contains("threads: 1"), "the first task names threads")
        try Data(yaml.utf8).write(to: taskFile)

        let result = try BertKitProcess.run(["run", taskFile.path, "--set", "epochs=1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        func metrics(_ task: String) throws -> Metrics {
            let url = folder.appendingPathComponent("runs/\(task)/metrics.json")
            return try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: url))
        }
        XCTAssertEqual(try metrics("has-z").threads, 1, "the first task runs on the one thread it asked for")
        XCTAssertEqual(try metrics("has-z-again").threads, cores, "the second task names no threads: all cores")
    }
}
