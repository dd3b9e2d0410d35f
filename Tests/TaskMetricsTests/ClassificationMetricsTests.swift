import Foundation
import XCTest
@testable import TaskMetrics

/// scikit-learn reference values: Tests/Fixtures/metrics/classification.jsonl, made with
/// scikit-learn 1.9.1 (Tests/Fixtures/metrics/README.md).
final class ClassificationMetricsTests: XCTestCase {
    private struct Row: Decodable {
        var num_classes: Int
        var gold: [Int]
        var pred: [Int]
        var accuracy: Double
        var f1_macro: Double
        var f1_micro: Double
        var f1_weighted: Double
        var mcc: Double
        var per_class: [Double]
        var f1_binary: Double?
    }

    private func rows() throws -> [Row] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/metrics/classification.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
    }

    func testMatchesScikitLearnOnEveryFixtureRow() throws {
        let rows = try rows()
        XCTAssertEqual(rows.count, 30)
        var binaryRows = 0
        for (i, row) in rows.enumerated() {
            let names = (0..<row.num_classes).map { "class\($0)" }
            let report = ClassificationMetrics.compute(gold: row.gold, predicted: row.pred, labelNames: names)
            XCTAssertEqual(report.count, row.gold.count)
            XCTAssertEqual(report.accuracy, row.accuracy, accuracy: 1e-12, "row \(i) accuracy")
            XCTAssertEqual(report.macro.f1, row.f1_macro, accuracy: 1e-12, "row \(i) macro F1")
            XCTAssertEqual(report.micro.f1, row.f1_micro, accuracy: 1e-12, "row \(i) micro F1")
            XCTAssertEqual(report.weighted.f1, row.f1_weighted, accuracy: 1e-12, "row \(i) weighted F1")
            XCTAssertEqual(report.matthewsCorrelation, row.mcc, accuracy: 1e-12, "row \(i) MCC")
            XCTAssertEqual(report.perClass.count, row.per_class.count)
            for (got, want) in zip(report.perClass, row.per_class) {
                XCTAssertEqual(got.f1, want, accuracy: 1e-12, "row \(i) \(got.label) F1")
            }
            if let binary = row.f1_binary {
                binaryRows += 1
                XCTAssertEqual(report.binary?.f1 ?? -1, binary, accuracy: 1e-12, "row \(i) binary F1")
                XCTAssertEqual(report.binary?.positiveLabel, "class1")
            } else {
                XCTAssertNil(report.binary)
            }
        }
        XCTAssertGreaterThan(binaryRows, 0)
    }

    // Worked by hand: gold 0 0 1 1 2 2, predicted 0 1 1 1 0 0.
    // Confusion (rows gold): [[1,1,0],[0,2,0],[2,0,0]]. Class 2 is never predicted, so its
    // precision is 0/0 -> 0 under zero_division "warn".
    func testHandWorkedMulticlassExample() {
        let gold = [0, 0, 1, 1, 2, 2]
        let predicted = [0, 1, 1, 1, 0, 0]
        let report = ClassificationMetrics.compute(gold: gold, predicted: predicted, labelNames: ["a", "b", "c"])
        XCTAssertEqual(report.confusionMatrix, [[1, 1, 0], [0, 2, 0], [2, 0, 0]])
        XCTAssertEqual(report.accuracy, 0.5)
        // a: tp 1, predicted 3, gold 2 -> P 1/3, R 1/2, F1 2/5
        XCTAssertEqual(report.perClass[0].precision, 1.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(report.perClass[0].recall, 0.5)
        XCTAssertEqual(report.perClass[0].f1, 0.4, accuracy: 1e-15)
        // b: tp 2, predicted 3, gold 2 -> P 2/3, R 1, F1 4/5
        XCTAssertEqual(report.perClass[1].f1, 0.8, accuracy: 1e-15)
        // c: tp 0, predicted 0, gold 2 -> all 0
        XCTAssertEqual(report.perClass[2].precision, 0)
        XCTAssertEqual(report.perClass[2].f1, 0)
        XCTAssertEqual(report.perClass.map(\.support), [2, 2, 2])
        XCTAssertEqual(report.macro.f1, (0.4 + 0.8 + 0) / 3, accuracy: 1e-15)
        XCTAssertEqual(report.macro.precision, (1.0 / 3 + 2.0 / 3 + 0) / 3, accuracy: 1e-15)
        XCTAssertEqual(report.micro.f1, 0.5)
        XCTAssertEqual(report.weighted.f1, report.macro.f1, accuracy: 1e-15) // equal supports
        // MCC: t = p... t_sum [2,2,2], p_sum [3,3,0], correct 3, n 6:
        // cov_tp = 3·6 - (6+6+0) = 6; cov_pp = 36 - 18 = 18; cov_tt = 36 - 12 = 24.
        XCTAssertEqual(report.matthewsCorrelation, 6 / (18.0 * 24.0).squareRoot(), accuracy: 1e-15)
        XCTAssertNil(report.binary)
    }

    func testLabelsThatNeverOccurStayOutOfTheAverages() {
        // scikit-learn's label set is the labels present: "unused" must not lower macro F1.
        let report = ClassificationMetrics.compute(gold: [0, 1, 1], predicted: [0, 1, 0],
                                                   labelNames: ["x", "y", "unused"])
        // x: tp 1, pred 2, gold 1 -> F1 2/3; y: tp 1, pred 1, gold 2 -> F1 2/3
        XCTAssertEqual(report.macro.f1, 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertEqual(report.perClass[2].f1, 0)
        XCTAssertEqual(report.perClass[2].support, 0)
        XCTAssertEqual(report.confusionMatrix, [[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    }

    func testBinaryPositiveLabelAndZeroDivision() {
        // Nothing predicted positive: precision is 0/0.
        let gold = [1, 0, 1, 0]
        let predicted = [0, 0, 0, 0]
        let warn = ClassificationMetrics.compute(gold: gold, predicted: predicted, labelNames: ["neg", "pos"])
        XCTAssertEqual(warn.binary, BinaryScores(positiveLabel: "pos", precision: 0, recall: 0, f1: 0))
        let one = ClassificationMetrics.compute(gold: gold, predicted: predicted, labelNames: ["neg", "pos"],
                                                zeroDivision: .one)
        XCTAssertEqual(one.binary?.precision, 1)
        XCTAssertEqual(one.binary?.recall, 0)
        XCTAssertEqual(one.binary?.f1, 0) // 2·0 / (2 + 0): not a 0/0
        // With label 0 as positive: tp 2, predicted 4, gold 2 -> P 1/2, R 1, F1 2/3.
        let negative = ClassificationMetrics.compute(gold: gold, predicted: predicted, labelNames: ["neg", "pos"],
                                                     positiveLabel: 0)
        XCTAssertEqual(negative.binary?.positiveLabel, "neg")
        XCTAssertEqual(negative.binary?.precision, 0.5)
        XCTAssertEqual(negative.binary?.recall, 1)
        XCTAssertEqual(negative.binary?.f1 ?? 0, 2.0 / 3.0, accuracy: 1e-15)
        // Predictions constant: MCC is undefined and scikit-learn returns 0.
        XCTAssertEqual(warn.matthewsCorrelation, 0)
    }

    func testReportRoundTripsThroughJSON() throws {
        let report = ClassificationMetrics.compute(gold: [0, 1, 1, 0], predicted: [0, 1, 0, 0], labelNames: ["n", "p"])
        let data = try JSONEncoder().encode(report)
        XCTAssertEqual(try JSONDecoder().decode(ClassificationReport.self, from: data), report)
    }
}
