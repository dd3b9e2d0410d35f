import Foundation
@testable import FuzzTargets
import XCTest

/// Replays every input that ever crashed or hung a fuzz target (Tests/Fixtures/fuzz/<target>/)
/// through the function the fuzzer calls, and every seed of Fuzz/corpus/: no crash, no broken
/// guarantee (round trips, offsets, id ranges), and the seeds that should be accepted are.
final class FuzzRegressionTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let regressions = root.appendingPathComponent("Tests/Fixtures/fuzz")
    static let seeds = root.appendingPathComponent("Fuzz/corpus")

    /// The files of `folder`/`target`, sorted ([] when there is no such folder).
    static func inputs(of target: String, in folder: URL) -> [URL] {
        let directory = folder.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { directory.appendingPathComponent($0) }
    }

    func testEveryRegressionInputReplays() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: Self.regressions.appendingPathComponent("README.md").path),
                      "no regression folder at \(Self.regressions.path)")
        for target in FuzzTargets.all {
            for url in Self.inputs(of: target.name, in: Self.regressions) {
                let bytes = try [UInt8](Data(contentsOf: url))
                XCTAssertNoThrow(try target.run(bytes), "\(target.name)/\(url.lastPathComponent)")
            }
        }
    }

    /// A folder named after no target would never be replayed.
    func testRegressionFoldersNameTargets() throws {
        let known = Set(FuzzTargets.all.map(\.name))
        for folder in [Self.regressions, Self.seeds] {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") && $0 != "README.md" }
            for name in names { XCTAssertTrue(known.contains(name), "\(folder.path)/\(name) is not a fuzz target") }
        }
    }

    /// Every target has seeds, none breaks a guarantee, and at least one is accepted: a target
    /// that refuses all of its seeds would only fuzz its first error.
    func testSeedsRunAndSomeAreAccepted() throws {
        for target in FuzzTargets.all {
            let seeds = Self.inputs(of: target.name, in: Self.seeds)
            XCTAssertFalse(seeds.isEmpty, "\(target.name): no seeds in Fuzz/corpus/\(target.name)")
            var accepted = 0, refusals: [String] = []
            for url in seeds {
                let bytes = try [UInt8](Data(contentsOf: url))
                do {
                    switch try target.run(bytes) {
                    case .accepted: accepted += 1
                    case .rejected(let message): refusals.append("\(url.lastPathComponent): \(message)")
                    }
                } catch {
                    XCTFail("\(target.name)/\(url.lastPathComponent): \(error)")
                }
            }
            XCTAssertGreaterThan(accepted, 0, "\(target.name): none of its \(seeds.count) seeds is accepted: \(refusals)")
        }
    }

    func testTargetNamesAreUnique() {
        let names = FuzzTargets.all.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "\(names)")
    }

    /// A broken guarantee is thrown, a refusal returned with its message, the rest accepted.
    func testOutcomes() throws {
        struct Refusal: Error, CustomStringConvertible { var description: String { "no" } }
        let breaking = FuzzTarget("breaking", "") { _ in try require(false, "broken") }
        XCTAssertThrowsError(try breaking.run([])) { XCTAssertEqual(($0 as? FuzzFailure)?.message, "broken") }
        XCTAssertEqual(try FuzzTarget("refusing", "") { _ in throw Refusal() }.run([]), .rejected("no"))
        XCTAssertEqual(try FuzzTarget("accepting", "") { _ in }.run([]), .accepted)

        XCTAssertEqual(try XCTUnwrap(FuzzTargets.named("tokenizer-text")).run(Array("Hello, world".utf8)), .accepted)
        guard case .rejected(let message) = try XCTUnwrap(FuzzTargets.named("config-json")).run(Array("{".utf8)) else {
            return XCTFail("a broken config.json was not refused")
        }
        XCTAssertTrue(message.contains("config.json"), message)
    }
}
