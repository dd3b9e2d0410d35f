import Foundation
import XCTest
@testable import MultiLabel
import TaskFile
import Tensor

/// The example's own checks: the BCE op against a float64 reference and its finite
/// differences, the F1 arithmetic on a case worked by hand, and the kind's check of its data.
final class MultiLabelTests: XCTestCase {
    func testBinaryCrossEntropyAndItsGradientAgainstFloat64() {
        let x: [Float] = [-3, -0.5, 0, 0.25, 2, 7], y: [Float] = [0, 1, 1, 0, 1, 0]
        func reference(_ x: [Double]) -> Double {
            zip(x, y).map { x, y in
                let p = 1 / (1 + Foundation.exp(-x))
                return -(Double(y) * Foundation.log(p) + (1 - Double(y)) * Foundation.log(1 - p))
            }.reduce(0, +) / Double(x.count)
        }
        let logits = Tensor(shape: [2, 3], values: x, requiresGrad: true)
        let loss = binaryCrossEntropy(logits: logits, targets: y)
        XCTAssertEqual(Double(loss.item), reference(x.map(Double.init)), accuracy: 1e-6)
        loss.backward()
        for i in x.indices {
            var plus = x.map(Double.init), minus = plus
            plus[i] += 1e-6
            minus[i] -= 1e-6
            XCTAssertEqual(Double(logits.grad!.values[i]), (reference(plus) - reference(minus)) / 2e-6, accuracy: 1e-6, "d/dx[\(i)]")
        }
    }

    func testMicroAndMacroF1ByHand() {
        // label 0: tp 1, fn 1 -> F1 2/3; label 1: tp 1, fp 1 -> 2/3; label 2: nothing -> 0
        // micro: tp 2, fp 1, fn 1 -> 4/6
        let scores = MultiLabelMetrics(gold: [[0, 1], [0]], predicted: [[0, 1], [1]], labelCount: 3)
        XCTAssertEqual(scores.perLabelF1[0], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(scores.perLabelF1[1], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(scores.perLabelF1[2], 0)
        XCTAssertEqual(scores.microF1, 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(scores.macroF1, 4.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(scores.exactMatch, 0.5)
    }

    /// `bertkit validate` asks the kind: the keys in each file's first line, labels but in a test file.
    func testDataCheckReadsTheFirstLines() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("multilabel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, _ text: String) throws -> URL {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
            return folder.appendingPathComponent(name)
        }
        var data = DataSpec(format: .jsonl)
        data.label = .name("labels")
        data.train = try file("train.jsonl", "{\"text\": \"a x\", \"labels\": [\"x\"]}\n")
        data.test = try file("test.jsonl", "{\"text\": \"a x\"}\n")
        XCTAssertEqual(MultiLabelTask.checkData(data) { _ in true }, [])
        data.label = .name("label")
        data.eval = try file("eval.jsonl", "{\"words\": \"a\"}\n")
        XCTAssertEqual(MultiLabelTask.checkData(data) { _ in true }, [
            DataProblem(key: "label", message: "`data.label`: the first line of \"\(data.train!.path)\" has no list `label`"),
            DataProblem(key: "text", message: "`data.text`: the first line of \"\(data.eval!.path)\" has no string `text`"),
            DataProblem(key: "label", message: "`data.label`: the first line of \"\(data.eval!.path)\" has no list `label`"),
        ])
    }
}
