import XCTest
import Tensor
import Backbone
import Heads

/// The three transformers heads on tiny-bert against PyTorch: loss, logits and every gradient.
final class TinyBertHeadTests: XCTestCase {
    struct Case {
        let folder: String
        let descriptor: HeadDescriptor
        let outputs: [String]
    }
    let cases = [
        Case(folder: "sequence-classification", descriptor: BuiltInHeads.sequenceClassification, outputs: ["logits"]),
        Case(folder: "token-classification", descriptor: BuiltInHeads.tokenClassification, outputs: ["logits"]),
        Case(folder: "question-answering", descriptor: BuiltInHeads.spanExtraction, outputs: ["start_logits", "end_logits"]),
    ]

    static func load(_ folder: String, _ descriptor: HeadDescriptor) throws -> (TaskModel, SafeTensorsFile, TokenBatch, HeadTargets) {
        var stream = RandomStream(key: 0)
        let model = try TaskModel.load(from: ModelFolder(Fixtures.tinyBert.appendingPathComponent(folder)),
                                       descriptor: descriptor, labels: [], stream: &stream)
        let reference = try Fixtures.reference("tiny-bert/\(folder)/reference.safetensors")
        let batch = try Fixtures.batch(from: Fixtures.reference("tiny-bert/backbone-reference.safetensors"))
        var targets = HeadTargets()
        if reference.contains("labels") { targets.labels = try reference.int32Values(named: "labels") }
        if reference.contains("start_positions") {
            targets.startPositions = try reference.int32Values(named: "start_positions")
            targets.endPositions = try reference.int32Values(named: "end_positions")
        }
        return (model, reference, batch, targets)
    }

    func testLossLogitsAndEveryGradient() throws {
        for c in cases {
            let (model, reference, batch, targets) = try Self.load(c.folder, c.descriptor)
            var stream = RandomStream(key: 0)
            let output = model(batch, training: false, stream: &stream)
            for name in c.outputs {
                let expected = try reference.tensor(named: name)
                XCTAssertEqual(output[name]!.count, expected.count, "\(c.folder) \(name) size")
                XCTAssertLessThanOrEqual(maxAbsoluteDifference(output[name]!.values, expected.values), 1e-5, "\(c.folder) \(name)")
            }
            let loss = try model.head.loss(output, targets: targets)
            XCTAssertEqual(loss.item, try reference.tensor(named: "loss").item, accuracy: 1e-5, "\(c.folder) loss")
            loss.backward()
            var checked = 0
            for (name, parameter) in model.namedParameters {
                let expected = try reference.tensor(named: "grad." + name).values
                let actual = parameter.grad?.values ?? Array(repeating: 0, count: parameter.count)
                for (a, e) in zip(actual, expected) where abs(a - e) > max(1e-4 * abs(e), 1e-6) {
                    XCTFail("\(c.folder) grad.\(name): \(a) vs torch \(e)")
                    break
                }
                checked += 1
            }
            XCTAssertEqual(checked, model.namedParameters.count)
            XCTAssertGreaterThan(checked, 30, "\(c.folder): every parameter has a reference gradient")
        }
    }
}
