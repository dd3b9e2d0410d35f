import Backbone
import Foundation
import Runner
import XCTest

/// A checkpoint whose class names repeat is refused, naming the file and the key: classification
/// answers with the probability of each class by name, and two classes of one name trapped in
/// the dictionary of them (found by the bertkit-json fuzz target,
/// Tests/Fixtures/fuzz/bertkit-json/labels-repeated-name.json).
final class CheckpointLabelNamesTests: XCTestCase {
    override func setUp() { BuiltIns.register() }

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    func testRepeatedNamesInBertKitJSONAreRefused() throws {
        let folder = try temporaryFolder()
        let manifest = #"{"task": "sst2", "head": "sequence-classification", "headConfig": {}, "taskKind": "classification", "#
            + #""labels": ["neg", "pos", "neg"], "maxSeqLength": 64}"#
        try Data(manifest.utf8).write(to: folder.appendingPathComponent("bertkit.json"))
        XCTAssertThrowsError(try CheckpointDescription(of: ModelFolder(folder))) { error in
            XCTAssertEqual("\(error)", "\(folder.path)/bertkit.json: key `labels`: class 2 is named \"neg\" as an earlier one is; class names must differ")
        }
    }

    /// transformers' own folder, its id2label changed to name two classes alike.
    func testRepeatedNamesInID2LabelAreRefused() throws {
        let source = BertKitProcess.fixtures.appendingPathComponent("hf-checkpoints/sequence-classification")
        let folder = try temporaryFolder()
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        config["id2label"] = ["0": "fig", "1": "kiwi", "2": "kiwi"]
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try CheckpointDescription(of: ModelFolder(folder))) { error in
            XCTAssertEqual("\(error)", "\(folder.path)/config.json: key `id2label`: class 2 is named \"kiwi\" as an earlier one is; class names must differ")
        }
        config["id2label"] = ["0": "fig", "1": "kiwi", "2": "plum"]
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertEqual(try CheckpointDescription(of: ModelFolder(folder)).labels, ["fig", "kiwi", "plum"])
    }
}
