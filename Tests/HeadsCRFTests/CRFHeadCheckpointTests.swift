import Foundation
import XCTest
import Backbone
import Heads
@testable import HeadsCRF
import Tensor

/// The CRF head saved with the model and loaded back: same tensors under HF-style names, the
/// CRF architecture in config.json, the same decoding.
final class CRFHeadCheckpointTests: XCTestCase {
    static let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-bert")

    func testSaveAndLoadRoundTrip() throws {
        let labels = ["O", "B-Z", "I-Z"]
        var stream = RandomStream(key: 9)
        let model = try TaskModel.load(from: ModelFolder(Self.tinyBert), descriptor: CRFHeads.tokenClassificationCRF,
                                       labels: labels, stream: &stream, warn: { _ in })
        let head = try XCTUnwrap(model.head as? CRFTokenClassificationHead)
        XCTAssertEqual(head.namedParameters.map(\.name),
                       ["classifier.weight", "classifier.bias", "crf.transitions", "crf.start_transitions", "crf.end_transitions"])
        XCTAssertEqual(head.transitions.shape, [3, 3])
        var random = TestRandom(state: 1)
        for tensor in [head.transitions, head.startTransitions, head.endTransitions, head.classifier.bias!] {
            for i in 0..<tensor.count { tensor.data[i] = Float(random.uniform(1)) }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-crf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try model.save(to: folder)
        for file in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: Self.tinyBert.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
        XCTAssertEqual(config?["architectures"] as? [String], ["BertForTokenClassificationCRF"])

        var unused = RandomStream(key: 0)
        var warnings: [String] = []
        let loaded = try TaskModel.load(from: ModelFolder(folder), descriptor: CRFHeads.tokenClassificationCRF,
                                        labels: labels, stream: &unused, warn: { warnings.append($0) })
        let original = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor.values) })
        for (name, tensor) in loaded.namedParameters { XCTAssertEqual(tensor.values, original[name], name) }
        XCTAssertEqual(loaded.namedParameters.count, original.count)
        let scores = (0..<5 * 3).map { _ in Float(random.uniform(2)) }
        XCTAssertEqual(loaded.head.decode(sequenceScores: scores, classes: 3), head.decode(sequenceScores: scores, classes: 3))
    }

    func testConstrainOptionMustBeABoolean() throws {
        let context = HeadContext(config: try ModelFolder(Self.tinyBert).config(), labels: ["O", "B-Z", "I-Z"],
                                  options: ["constrain_iob2": .string("maybe")])
        XCTAssertThrowsError(try CRFHeads.tokenClassificationCRF.make(context)) { error in
            XCTAssertTrue("\(error)".contains("constrain_iob2"), "\(error)")
        }
        let off = try CRFHeads.tokenClassificationCRF.make(HeadContext(config: context.config, labels: context.labels,
                                                                        options: ["constrain_iob2": .bool(false)]))
        XCTAssertEqual((off as? CRFTokenClassificationHead)?.constraint, IOB2Constraint(unconstrained: 3))
    }
}
