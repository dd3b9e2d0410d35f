import Foundation

/// A line chart as a standalone SVG file (`loss.svg`, `f1.svg`): no script, no external font or
/// style, so any browser or image viewer shows it. One polyline per series, a legend under the
/// title, about five ticks per axis at nice numbers, light grey grid lines.
///
/// Points whose x or y is NaN or infinite are skipped (a diverged loss still plots the rest).
/// A single value on an axis is widened to a small range around it, so a single point or a
/// constant series draws as a point or a flat line. With no finite point at all the chart says
/// "no data".
public struct SVGLineChart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]

        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width: Double = 640
    public var height: Double = 400

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// Distinct colours, in the order series get them.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    /// Series with at most this many points also get a dot on each point: an eval curve of a few
    /// points reads better with them, a training curve of thousands would be a smear.
    static let maximumPointsWithMarkers = 30

    // The plot area inside the margins: room for the title and legend above, tick labels and the
    // axis labels left and below.
    private var left: Double { 72 }
    private var right: Double { width - 24 }
    private var top: Double { 64 }
    private var bottom: Double { height - 52 }

    /// The whole SVG document.
    public func svg() -> String {
        let finite = series.map { series in
            series.points.filter { $0.x.isFinite && $0.y.isFinite }
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
        out += "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>\n"
        out += text(title, x: width / 2, y: 24, anchor: "middle", size: 16, extra: " font-weight=\"bold\"")
        out += text(xLabel, x: (left + right) / 2, y: height - 12, anchor: "middle", size: 13)
        out += "<text x=\"0\" y=\"0\" text-anchor=\"middle\" font-size=\"13\" fill=\"#333\" "
        out += "transform=\"translate(18 \(n((top + bottom) / 2))) rotate(-90)\">\(xmlEscaped(yLabel))</text>\n"

        let allPoints = finite.flatMap { $0 }
        guard !allPoints.isEmpty else {
            out += frame()
            out += text("no data", x: (left + right) / 2, y: (top + bottom) / 2, anchor: "middle", size: 14, color: "#888")
            return out + "</svg>\n"
        }

        // A little room on both sides so the end points and their dots are not cut by the frame.
        let (xLow, xHigh) = Self.range(allPoints.map(\.x), margin: 0.02)
        let (yLow, yHigh) = Self.range(allPoints.map(\.y), margin: 0.05)
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yLow) / (yHigh - yLow) * (bottom - top) }

        // Grid and ticks first, so the data is drawn over them.
        let xStep = NiceTicks.step(from: xLow, to: xHigh)
        for tick in NiceTicks.ticks(from: xLow, to: xHigh) {
            let x = px(tick)
            out += "<line x1=\"\(n(x))\" y1=\"\(n(top))\" x2=\"\(n(x))\" y2=\"\(n(bottom))\" stroke=\"#e4e4e4\" stroke-width=\"1\"/>\n"
            out += "<line x1=\"\(n(x))\" y1=\"\(n(bottom))\" x2=\"\(n(x))\" y2=\"\(n(bottom + 5))\" stroke=\"#333\" stroke-width=\"1\"/>\n"
            out += text(NiceTicks.label(tick, step: xStep), x: x, y: bottom + 18, anchor: "middle", size: 11)
        }
        let yStep = NiceTicks.step(from: yLow, to: yHigh)
        for tick in NiceTicks.ticks(from: yLow, to: yHigh) {
            let y = py(tick)
            out += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(right))\" y2=\"\(n(y))\" stroke=\"#e4e4e4\" stroke-width=\"1\"/>\n"
            out += "<line x1=\"\(n(left - 5))\" y1=\"\(n(y))\" x2=\"\(n(left))\" y2=\"\(n(y))\" stroke=\"#333\" stroke-width=\"1\"/>\n"
            out += text(NiceTicks.label(tick, step: yStep), x: left - 8, y: y + 4, anchor: "end", size: 11)
        }
        out += frame()

        for (index, points) in finite.enumerated() where !points.isEmpty {
            let color = Self.palette[index % Self.palette.count]
            let coordinates = points.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
            out += "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" "
            out += "stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n"
            if points.count <= Self.maximumPointsWithMarkers {
                for point in points {
                    out += "<circle cx=\"\(n(px(point.x)))\" cy=\"\(n(py(point.y)))\" r=\"3\" fill=\"\(color)\"/>\n"
                }
            }
        }
        out += legend(drawn: finite.map { !$0.isEmpty })
        return out + "</svg>\n"
    }

    /// Writes `svg()` to `url` atomically.
    public func write(to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(FileSync.randomSuffix())")
        do {
            try Data(svg().utf8).write(to: temporary)
            try FileSync.rename(temporary.path, to: url.path)
        } catch let error as OutputError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw OutputError.systemCall(call: "write", path: url.path, reason: FileSync.reason(of: error))
        }
    }

    /// The data range of one axis, widened by `margin` of its span on both sides; a single
    /// value becomes a range around it (10% of it, or ±1 around zero), never an empty one.
    static func range(_ values: [Double], margin: Double) -> (Double, Double) {
        var low = values.min()!
        var high = values.max()!
        if high - low <= 1e-12 * max(abs(low), abs(high)) {
            let half = low == 0 ? 1 : abs(low) * 0.1
            return (low - half, high + half)
        }
        let pad = (high - low) * margin
        low -= pad
        high += pad
        return (low, high)
    }

    /// A row of colour swatches and names under the title, centred; series without a finite
    /// point are listed with "(no data)" so a missing eval curve is noticed.
    private func legend(drawn: [Bool]) -> String {
        guard series.count > 1 || !(series.first?.name.isEmpty ?? true) else { return "" }
        // Text width is estimated (no font metrics here): 7 px per character at size 12.
        let entries = series.enumerated().map { index, series in
            (name: drawn[index] ? series.name : series.name + " (no data)",
             color: Self.palette[index % Self.palette.count])
        }
        let widths = entries.map { 28 + 7 * Double($0.name.unicodeScalars.count) }
        let spacing = 18.0
        var x = (width - widths.reduce(0, +) - spacing * Double(entries.count - 1)) / 2
        let y = 46.0
        var out = ""
        for (entry, entryWidth) in zip(entries, widths) {
            out += "<line x1=\"\(n(x))\" y1=\"\(n(y - 4))\" x2=\"\(n(x + 22))\" y2=\"\(n(y - 4))\" stroke=\"\(entry.color)\" stroke-width=\"3\"/>\n"
            out += text(entry.name, x: x + 28, y: y, anchor: "start", size: 12)
            x += entryWidth + spacing
        }
        return out
    }

    private func frame() -> String {
        "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(right - left))\" height=\"\(n(bottom - top))\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>\n"
    }

    private func text(_ content: String, x: Double, y: Double, anchor: String, size: Int,
                      color: String = "#333", extra: String = "") -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(color)\"\(extra)>\(xmlEscaped(content))</text>\n"
    }

    /// Coordinates with two decimals: sub-pixel enough, and keeps a long curve's file small.
    private func n(_ value: Double) -> String {
        let text = String(format: "%.2f", value)
        // "12.00" -> "12", "12.50" -> "12.5".
        var trimmed = Substring(text)
        while trimmed.hasSuffix("0") { trimmed.removeLast() }
        if trimmed.hasSuffix(".") { trimmed.removeLast() }
        return trimmed == "-0" ? "0" : String(trimmed)
    }
}
