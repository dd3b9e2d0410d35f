import Backbone
import Foundation
import TaskMetrics
import XCTest
@testable import Tasks

/// The metric reports' JSONValue, built field by field for metrics.json, against what it replaced:
/// the Codable report encoded by JSONEncoder and decoded as JSONValue. Every row of the metric
/// fixtures (scikit-learn's and seqeval's cases) is compared, so two-label reports (with
/// `binary`), many-label ones (without) and reports with and without entities all are.
final class MetricReportJSONTests: XCTestCase {
    private func fixtureLines(_ name: String) throws -> [Data] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/metrics/\(name)")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { Data($0.utf8) }
    }

    private func throughJSONText<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    func testClassificationReportMatchesItsCodableEncodingOnEveryFixtureRow() throws {
        struct Row: Decodable { var num_classes: Int; var gold: [Int]; var pred: [Int] }
        let rows = try fixtureLines("classification.jsonl").map { try JSONDecoder().decode(Row.self, from: $0) }
        XCTAssertEqual(rows.count, 30)
        var withBinary = 0
        for (i, row) in rows.enumerated() {
            let names = (0..<row.num_classes).map { "class\($0)" }
            let report = ClassificationMetrics.compute(gold: row.gold, predicted: row.pred, labelNames: names)
            if report.binary != nil { withBinary += 1 }
            XCTAssertEqual(report.jsonValue, try throughJSONText(report), "row \(i)")
        }
        XCTAssertGreaterThan(withBinary, 0)
        XCTAssertLessThan(withBinary, rows.count)
    }

    func testSeqevalReportMatchesItsCodableEncodingOnEveryFixtureCase() throws {
        struct Case: Decodable { var gold: [[String]]; var pred: [[String]] }
        let cases = try fixtureLines("seqeval.jsonl").map { try JSONDecoder().decode(Case.self, from: $0) }
        XCTAssertFalse(cases.isEmpty)
        var withEntities = 0
        for (i, item) in cases.enumerated() {
            let report = try Seqeval.evaluate(gold: item.gold, predicted: item.pred, mode: .default)
            if !report.perType.isEmpty { withEntities += 1 }
            XCTAssertEqual(report.jsonValue, try throughJSONText(report), "case \(i)")
        }
        XCTAssertGreaterThan(withEntities, 0)
    }

    func testAReportsKeysAreItsPropertyNames() throws {
        let report = ClassificationMetrics.compute(gold: [0, 1, 1, 0], predicted: [0, 1, 0, 0], labelNames: ["neg", "pos"])
        guard case .object(let object) = report.jsonValue else { return XCTFail("not an object") }
        XCTAssertEqual(Set(object.keys), ["count", "accuracy", "macro", "micro", "weighted", "binary", "matthewsCorrelation",
                                          "perClass", "confusionMatrix", "labelNames"])
        XCTAssertEqual(object["confusionMatrix"], .array([.array([.number(2), .number(0)]), .array([.number(1), .number(1)])]))
        XCTAssertEqual(object["accuracy"], .number(0.75))
    }
}
