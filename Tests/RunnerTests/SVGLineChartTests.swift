import Foundation
import XCTest
@testable import Runner

final class SVGLineChartTests: XCTestCase {
    /// The `points` attribute of every polyline, as (x, y) pairs.
    private func polylines(_ svg: String) -> [[(Double, Double)]] {
        svg.components(separatedBy: "<polyline points=\"").dropFirst().map { rest in
            let attribute = rest.prefix { $0 != "\"" }
            return attribute.split(separator: " ").map { pair in
                let parts = pair.split(separator: ",")
                return (Double(parts[0])!, Double(parts[1])!)
            }
        }
    }

    private func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    func testEachSeriesIsOnePolylineWithAllItsPoints() {
        let chart = SVGLineChart(title: "Loss", xLabel: "step", yLabel: "loss", series: [
            .init(name: "train", points: [(0, 2.0), (10, 1.5), (20, 1.0), (30, 0.8), (40, 0.7)]),
            .init(name: "eval", points: [(20, 1.1), (40, 0.9), (60, 0.85)]),
        ])
        let svg = chart.svg()
        let lines = polylines(svg)
        XCTAssertEqual(lines.map(\.count), [5, 3])
        // Distinct colours, and both names in the legend.
        XCTAssertTrue(svg.contains("stroke=\"#1f77b4\" stroke-width=\"1.8\""))
        XCTAssertTrue(svg.contains("stroke=\"#d62728\" stroke-width=\"1.8\""))
        XCTAssertTrue(svg.contains(">train</text>"))
        XCTAssertTrue(svg.contains(">eval</text>"))
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        // x spans the data plus 2% of it on each side: -1.2...61.2 across the plot area
        // 72...616, so step 0 is at 72 + 1.2 / 62.4 * 544 and step 60 as far from 616.
        XCTAssertEqual(lines[0][0].0, 82.46, accuracy: 0.01)
        XCTAssertEqual(lines[1][2].0, 605.54, accuracy: 0.01)
        // y: higher loss is higher on the page (smaller y).
        XCTAssertLessThan(lines[0][0].1, lines[0][4].1)
    }

    func testTitleAndLabelsAreEscaped() {
        let chart = SVGLineChart(title: "F1 <dev> & \"test\"", xLabel: "a<b", yLabel: "x>y & z",
                                 series: [.init(name: "p&l", points: [(1, 1), (2, 2)])])
        let svg = chart.svg()
        XCTAssertTrue(svg.contains(">F1 &lt;dev&gt; &amp; &quot;test&quot;</text>"))
        XCTAssertTrue(svg.contains(">a&lt;b</text>"))
        XCTAssertTrue(svg.contains(">x&gt;y &amp; z</text>"))
        XCTAssertTrue(svg.contains(">p&amp;l</text>"))
        XCTAssertFalse(svg.contains("<dev>"))
        XCTAssertFalse(svg.contains("p&l"))
    }

    func testNonFinitePointsAreSkipped() {
        let chart = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "train", points: [(1, 1.0), (2, .nan), (3, 0.5), (4, .infinity), (.nan, 1), (5, 0.25)]),
        ])
        let svg = chart.svg()
        XCTAssertEqual(polylines(svg).map(\.count), [3])
        XCTAssertFalse(svg.lowercased().contains("nan"))
        XCTAssertFalse(svg.lowercased().contains("inf"))
    }

    func testSinglePointIsDrawnInTheMiddle() {
        let chart = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "eval", points: [(100, 0.5)])])
        let svg = chart.svg()
        let lines = polylines(svg)
        XCTAssertEqual(lines.map(\.count), [1])
        // x range 90...110 and y range 0.45...0.55 around the point: it sits in the centre of
        // the plot area (72...616, 64...348).
        XCTAssertEqual(lines[0][0].0, 344, accuracy: 0.01)
        XCTAssertEqual(lines[0][0].1, 206, accuracy: 0.01)
        XCTAssertEqual(count("<circle", in: svg), 1)
        // Ticks at 90, 95, 100, 105, 110 on x.
        for label in ["90", "95", "100", "105", "110"] { XCTAssertTrue(svg.contains(">\(label)</text>"), label) }
    }

    func testConstantSeriesIsAFlatLineWithTicksAroundIt() {
        let points = (0..<10).map { (Double($0), 0.5) }
        let svg = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: points)]).svg()
        let line = polylines(svg)[0]
        XCTAssertEqual(line.count, 10)
        XCTAssertEqual(Set(line.map(\.1)), [206])
        // y range 0.45...0.55, step 0.02.
        for label in ["0.46", "0.48", "0.50", "0.52", "0.54"] { XCTAssertTrue(svg.contains(">\(label)</text>"), label) }
    }

    func testZeroConstantSeriesGetsARangeAroundZero() {
        let svg = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(1, 0), (2, 0)])]).svg()
        XCTAssertEqual(Set(polylines(svg)[0].map(\.1)), [206])
        for label in ["-1.0", "-0.5", "0", "0.5", "1.0"] { XCTAssertTrue(svg.contains(">\(label)</text>"), label) }
    }

    func testNoFinitePointMeansNoData() {
        let empty = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: []).svg()
        XCTAssertTrue(empty.contains(">no data</text>"))
        XCTAssertEqual(count("<polyline", in: empty), 0)
        let onlyNaN = SVGLineChart(title: "t", xLabel: "x", yLabel: "y",
                                   series: [.init(name: "s", points: [(1, .nan)]), .init(name: "e", points: [])]).svg()
        XCTAssertTrue(onlyNaN.contains(">no data</text>"))
        XCTAssertEqual(count("<polyline", in: onlyNaN), 0)
    }

    func testSeriesWithoutPointsIsMarkedInTheLegend() {
        let svg = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "train", points: [(1, 1), (2, 0.5)]), .init(name: "eval", points: []),
        ]).svg()
        XCTAssertEqual(polylines(svg).map(\.count), [2])
        XCTAssertTrue(svg.contains(">eval (no data)</text>"))
    }

    func testLongSeriesHasNoMarkers() {
        let points = (0..<500).map { (Double($0), 1 / Double($0 + 1)) }
        let svg = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: points)]).svg()
        XCTAssertEqual(polylines(svg)[0].count, 500)
        XCTAssertEqual(count("<circle", in: svg), 0)
    }

    func testTicksAreNiceNumbers() {
        func check(_ low: Double, _ high: Double, _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) {
            let ticks = NiceTicks.ticks(from: low, to: high)
            XCTAssertEqual(ticks.count, expected.count, "\(ticks)", file: file, line: line)
            for (tick, value) in zip(ticks, expected) { XCTAssertEqual(tick, value, accuracy: 1e-12, file: file, line: line) }
        }
        check(0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        check(0, 630, [0, 200, 400, 600])
        check(0.31, 0.72, [0.4, 0.5, 0.6, 0.7])
        check(-3, 7, [-2, 0, 2, 4, 6])
        check(0, 0.0042, [0, 0.001, 0.002, 0.003, 0.004])
        check(1000, 100_000, [20_000, 40_000, 60_000, 80_000, 100_000])
        check(0.45, 0.55, [0.46, 0.48, 0.5, 0.52, 0.54])
        // Exactly the decimal values, not 0.6000000000000001.
        XCTAssertEqual(NiceTicks.ticks(from: 0, to: 1)[3], 0.6)
    }

    func testTickLabels() {
        XCTAssertEqual(NiceTicks.label(0.6, step: 0.2), "0.6")
        XCTAssertEqual(NiceTicks.label(400, step: 200), "400")
        XCTAssertEqual(NiceTicks.label(0.05, step: 0.05), "0.05")
        XCTAssertEqual(NiceTicks.label(1, step: 1), "1")
        XCTAssertEqual(NiceTicks.label(0, step: 0.2), "0")
        XCTAssertEqual(NiceTicks.label(3e-7, step: 1e-7), "3e-07")
    }

    func testWriteStoresTheSVG() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("svg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let chart = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(1, 2), (3, 4)])])
        let url = folder.appendingPathComponent("loss.svg")
        try chart.write(to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), chart.svg())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["loss.svg"])
    }
}
