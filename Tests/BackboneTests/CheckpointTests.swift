import Foundation
import XCTest
import Tensor
import Backbone
import Heads

final class CheckpointTests: XCTestCase {
    var temporary: URL!

    override func setUpWithError() throws {
        temporary = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: temporary) }

    func testLoadSaveLoadIsBitIdentical() throws {
        var stream = RandomStream(key: 0)
        let original = try TaskModel.load(from: ModelFolder(Fixtures.tinyBert.appendingPathComponent("token-classification")),
                                          descriptor: BuiltInHeads.tokenClassification, labels: [], stream: &stream)
        try original.save(to: temporary)
        let again = try TaskModel.load(from: ModelFolder(temporary), descriptor: BuiltInHeads.tokenClassification, labels: [], stream: &stream)
        XCTAssertEqual(original.namedParameters.map(\.name), again.namedParameters.map(\.name))
        for ((name, a), (_, b)) in zip(original.namedParameters, again.namedParameters) {
            XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), name)
        }
        let config = try BertConfig(contentsOf: temporary.appendingPathComponent("config.json"))
        XCTAssertEqual(config.architectures, ["BertForTokenClassification"])
        XCTAssertEqual(config.labelNames?.count, 5)
        // The file uses transformers' names, with the backbone under `bert.`.
        let names = try SafeTensorsFile(contentsOf: temporary.appendingPathComponent("model.safetensors")).names
        XCTAssertTrue(names.contains("bert.encoder.layer.1.output.LayerNorm.weight"))
        XCTAssertTrue(names.contains("classifier.weight"))
    }

    func testBackboneCheckpointWithFreshHead() throws {
        var stream = RandomStream(key: 3)
        let model = try TaskModel.load(from: ModelFolder(Fixtures.tinyBert), descriptor: BuiltInHeads.sequenceClassification,
                                       labels: ["neg", "pos"], stream: &stream)
        let head = model.head as! SequenceClassificationHead
        XCTAssertEqual(head.classifier.weight.shape, [2, 32])
        XCTAssertEqual(head.classifier.bias!.values, [0, 0])
        XCTAssertNotEqual(head.classifier.weight.values.filter { $0 != 0 }.count, 0, "weights drawn from N(0, 0.02)")
    }

    /// Copies tiny-bert into the temporary folder with its weights replaced by `tensors`.
    func writeVariant(_ tensors: [(name: String, tensor: Tensor)]) throws -> ModelFolder {
        for file in ["config.json", "vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: Fixtures.tinyBert.appendingPathComponent(file), to: temporary.appendingPathComponent(file))
        }
        try SafeTensors.write(tensors, to: temporary.appendingPathComponent("model.safetensors"))
        return ModelFolder(temporary)
    }

    func tinyTensors() throws -> [(name: String, tensor: Tensor)] {
        let file = try SafeTensorsFile(contentsOf: Fixtures.tinyBert.appendingPathComponent("model.safetensors"))
        return try file.names.filter { $0 != "embeddings.position_ids" }.map { ($0, try file.tensor(named: $0)) }
    }

    func testWrongShapeIsNamed() throws {
        var tensors = try tinyTensors()
        let index = tensors.firstIndex { $0.name == "encoder.layer.1.intermediate.dense.weight" }!
        tensors[index].tensor = Tensor(zeros: [63, 32])
        let folder = try writeVariant(tensors)
        XCTAssertThrowsError(try BertModel.load(from: folder)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("encoder.layer.1.intermediate.dense.weight is [63, 32], the model needs [64, 32]"), text)
        }
    }

    func testMissingTensorIsNamed() throws {
        let tensors = try tinyTensors().filter { $0.name != "encoder.layer.0.attention.self.value.bias" }
        let folder = try writeVariant(tensors)
        XCTAssertThrowsError(try BertModel.load(from: folder)) { error in
            XCTAssertTrue("\(error)".contains("missing tensors: encoder.layer.0.attention.self.value.bias [32]"), "\(error)")
        }
    }

    func testMissingPoolerLoadsWithAWarning() throws {
        let folder = try writeVariant(try tinyTensors().filter { !$0.name.hasPrefix("pooler.") })
        var warnings: [String] = []
        let model = try BertModel.load(from: folder, warn: { warnings.append($0) })
        XCTAssertNil(model.poolerDense)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("pooler"))
    }

    func testCorruptSafetensorsIsNamed() throws {
        let folder = try writeVariant(try tinyTensors())
        let weights = folder.weightsURL
        var bytes = try Data(contentsOf: weights)
        bytes[9] = 0xFF  // inside the JSON header: no longer valid UTF-8
        try bytes.write(to: weights)
        XCTAssertThrowsError(try BertModel.load(from: folder)) { error in
            XCTAssertTrue("\(error)".contains(weights.path), "\(error)")
        }
    }
}
