import Backbone
import Foundation
import Runner
import XCTest

/// bertkit.json as predict and serve read it: a length too short for [CLS], a token and [SEP]
/// is refused naming the file and the key (found by the bertkit-json fuzz target: a manifest
/// with maxSeqLength 2 made classification inputs encode to nothing).
final class CheckpointManifestTests: XCTestCase {
    override func setUp() { BuiltIns.register() }

    func folder(maxSeqLength: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let manifest = #"{"task": "sst2", "head": "sequence-classification", "headConfig": {}, "taskKind": "classification", "#
            + #""labels": ["negative", "positive"], "maxSeqLength": \#(maxSeqLength)}"#
        try Data(manifest.utf8).write(to: folder.appendingPathComponent("bertkit.json"))
        return folder
    }

    func testAManifestLengthBelowThreeIsRefused() throws {
        let folder = try folder(maxSeqLength: 2)
        XCTAssertThrowsError(try CheckpointDescription(of: ModelFolder(folder))) { error in
            XCTAssertEqual("\(error)", "\(folder.path)/bertkit.json: key `maxSeqLength` is 2; it must be at least 3 ([CLS], a token, [SEP])")
        }
    }

    func testAManifestLengthOfThreeIsRead() throws {
        let description = try CheckpointDescription(of: ModelFolder(try folder(maxSeqLength: 3)))
        XCTAssertEqual(description.maxSeqLength, 3)
        XCTAssertEqual(description.labels, ["negative", "positive"])
        XCTAssertEqual(description.source, .bertkitManifest)
    }
}
