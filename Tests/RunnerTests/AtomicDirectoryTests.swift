import Foundation
import XCTest
@testable import Runner

final class AtomicDirectoryTests: XCTestCase {
    private var parent: URL!
    private var final: URL { parent.appendingPathComponent("last") }
    private let files = FileManager.default

    override func setUpWithError() throws {
        parent = files.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try files.createDirectory(at: parent, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? files.removeItem(at: parent)
    }

    private func entries(_ url: URL) throws -> [String] {
        try files.contentsOfDirectory(atPath: url.path).sorted()
    }

    private func read(_ relative: String) throws -> String {
        try String(contentsOf: final.appendingPathComponent(relative), encoding: .utf8)
    }

    private struct FillFailed: Error {}

    func testFirstWriteCreatesTheFolderAndLeavesNothingElse() throws {
        try AtomicDirectory.write(to: final) { folder in
            XCTAssertTrue(folder.lastPathComponent.hasPrefix(".last.tmp-"))
            try "weights".write(to: folder.appendingPathComponent("model.safetensors"), atomically: false, encoding: .utf8)
            try files.createDirectory(at: folder.appendingPathComponent("trainer_state"), withIntermediateDirectories: false)
            try "step 10".write(to: folder.appendingPathComponent("trainer_state/state.json"), atomically: false, encoding: .utf8)
        }
        XCTAssertEqual(try entries(parent), ["last"])
        XCTAssertEqual(try entries(final), ["model.safetensors", "trainer_state"])
        XCTAssertEqual(try read("trainer_state/state.json"), "step 10")
    }

    func testSecondWriteReplacesTheWholeContent() throws {
        try AtomicDirectory.write(to: final) { folder in
            try "old".write(to: folder.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
        }
        try AtomicDirectory.write(to: final) { folder in
            try "new".write(to: folder.appendingPathComponent("b.txt"), atomically: false, encoding: .utf8)
        }
        XCTAssertEqual(try entries(parent), ["last"])
        XCTAssertEqual(try entries(final), ["b.txt"])
        XCTAssertEqual(try read("b.txt"), "new")
    }

    func testFailureInFillLeavesTheOldFolderAndNoTemporary() throws {
        try AtomicDirectory.write(to: final) { folder in
            try "old".write(to: folder.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
        }
        XCTAssertThrowsError(try AtomicDirectory.write(to: final) { folder in
            try "half".write(to: folder.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
            throw FillFailed()
        }) { error in
            XCTAssertTrue(error is FillFailed, "the fill's own error is rethrown, got \(error)")
        }
        XCTAssertEqual(try entries(parent), ["last"])
        XCTAssertEqual(try entries(final), ["a.txt"])
        XCTAssertEqual(try read("a.txt"), "old")
    }

    func testFailureOnFirstWriteLeavesNothing() throws {
        XCTAssertThrowsError(try AtomicDirectory.write(to: final) { _ in throw FillFailed() })
        XCTAssertEqual(try entries(parent), [])
    }

    func testWriteCreatesMissingParents() throws {
        let nested = parent.appendingPathComponent("runs/sst2/best")
        try AtomicDirectory.write(to: nested) { folder in
            try "x".write(to: folder.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
        }
        XCTAssertEqual(try entries(nested), ["config.json"])
    }

    /// A crash between "rename final to .old" and "rename temporary to final".
    private func simulateCrashBetweenTheRenames() throws {
        let old = parent.appendingPathComponent(".last.old-1a2b")
        try files.createDirectory(at: old, withIntermediateDirectories: false)
        try "old complete".write(to: old.appendingPathComponent("a.txt"), atomically: false, encoding: .utf8)
        let temporary = parent.appendingPathComponent(".last.tmp-3c4d")
        try files.createDirectory(at: temporary, withIntermediateDirectories: false)
        try "new".write(to: temporary.appendingPathComponent("b.txt"), atomically: false, encoding: .utf8)
    }

    func testRecoverRestoresTheOldFolderWhenFinalIsMissing() throws {
        try simulateCrashBetweenTheRenames()
        try AtomicDirectory.recover(final: final)
        XCTAssertEqual(try entries(parent), ["last"])
        XCTAssertEqual(try read("a.txt"), "old complete")
    }

    func testRecoverDeletesLeftoversWhenFinalExists() throws {
        // A crash while deleting the old folder, and one during a fill.
        try files.createDirectory(at: final, withIntermediateDirectories: false)
        try "current".write(to: final.appendingPathComponent("c.txt"), atomically: false, encoding: .utf8)
        try simulateCrashBetweenTheRenames()
        // Another folder's leftovers are not touched.
        try files.createDirectory(at: parent.appendingPathComponent(".best.tmp-9"), withIntermediateDirectories: false)
        try AtomicDirectory.recover(final: final)
        XCTAssertEqual(try entries(parent), [".best.tmp-9", "last"])
        XCTAssertEqual(try entries(final), ["c.txt"])
    }

    func testWriteAfterACrashRecoversFirst() throws {
        try simulateCrashBetweenTheRenames()
        try AtomicDirectory.write(to: final) { folder in
            try "newest".write(to: folder.appendingPathComponent("d.txt"), atomically: false, encoding: .utf8)
        }
        XCTAssertEqual(try entries(parent), ["last"])
        XCTAssertEqual(try entries(final), ["d.txt"])
    }

    func testRecoverWithoutParentDoesNothing() throws {
        XCTAssertNoThrow(try AtomicDirectory.recover(final: parent.appendingPathComponent("missing/last")))
    }
}
