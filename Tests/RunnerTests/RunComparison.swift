import Foundation
import Tensor
import XCTest

/// Compares what two runs of a task wrote in their task folders (`<output>/<task>/`): the losses
/// of train_log.jsonl, the weights of a checkpoint, metrics.json's final metrics.
enum RunComparison {
    struct LogLine: Decodable { var step: Int; var loss: Double }

    struct Metrics: Decodable {
        var outcome: String
        var ranks: Int
        var global_batch_size: Int
        var final: [String: [String: Double]]
    }

    static func log(_ task: URL) throws -> [LogLine] {
        try String(contentsOf: task.appendingPathComponent("train_log.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONDecoder().decode(LogLine.self, from: Data($0.utf8)) }
    }

    static func metrics(_ task: URL) throws -> Metrics {
        try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: task.appendingPathComponent("metrics.json")))
    }

    /// Both logs hold steps 1...steps, one line each, with losses within `relative`.
    static func assertLossesAgree(_ expected: URL, _ actual: URL, steps: Int, relative: Double,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try log(expected), b = try log(actual)
        XCTAssertEqual(a.map(\.step), Array(1...steps), file: file, line: line)
        XCTAssertEqual(b.map(\.step), Array(1...steps), file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertLessThanOrEqual(abs(x.loss - y.loss), relative * max(abs(x.loss), abs(y.loss)),
                                     "step \(x.step): loss \(x.loss) against \(y.loss)", file: file, line: line)
        }
    }

    /// Every tensor of two model.safetensors files within `relative` of each other, element by
    /// element, or within `absolute` near zero; the tensors `roundOffOnly` names only finite
    /// (`DataParallelRunTests.roundOffOnly` says why). Returns the names it compared closely.
    @discardableResult
    static func assertWeightsAgree(_ expected: URL, _ actual: URL, relative: Double, absolute: Double,
                                   roundOffOnly: (String) -> Bool = { _ in false },
                                   file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let a = try SafeTensorsFile(contentsOf: expected), b = try SafeTensorsFile(contentsOf: actual)
        XCTAssertEqual(a.names.sorted(), b.names.sorted(), file: file, line: line)
        var compared: [String] = []
        for name in a.names where b.contains(name) {
            let x = try a.tensor(named: name), y = try b.tensor(named: name)
            XCTAssertEqual(x.shape, y.shape, name, file: file, line: line)
            guard x.shape == y.shape else { continue }
            if roundOffOnly(name) {
                XCTAssertTrue((0..<y.count).allSatisfy { y.data[$0].isFinite }, name, file: file, line: line)
                continue
            }
            compared.append(name)
            // the element furthest outside its tolerance, if any
            var worst: (index: Int, excess: Float)?
            for i in 0..<x.count {
                let p = x.data[i], q = y.data[i]
                let tolerance = max(Float(absolute), Float(relative) * max(abs(p), abs(q)))
                let excess = abs(p - q) / tolerance
                if !(excess <= 1), excess > worst?.excess ?? 0 || !excess.isFinite { worst = (i, excess) }
            }
            if let worst {
                XCTFail("\(name)[\(worst.index)]: \(x.data[worst.index]) against \(y.data[worst.index]) (\(worst.excess) times the tolerance)",
                        file: file, line: line)
            }
        }
        return compared
    }

    /// The final metrics of two metrics.json files: the same splits and names, the same values,
    /// except the mean loss within `absolute` (its sum is made in another order).
    static func assertFinalMetricsAgree(_ expected: URL, _ actual: URL, absolute: Double,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        let a = try metrics(expected).final, b = try metrics(actual).final
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), file: file, line: line)
        for (split, values) in a {
            let others = b[split] ?? [:]
            XCTAssertEqual(values.keys.sorted(), others.keys.sorted(), split, file: file, line: line)
            for (name, value) in values {
                if name == "loss" {
                    XCTAssertEqual(value, others[name] ?? .nan, accuracy: absolute, "\(split) \(name)", file: file, line: line)
                } else {
                    XCTAssertEqual(value, others[name], "\(split) \(name)", file: file, line: line)
                }
            }
        }
    }
}
