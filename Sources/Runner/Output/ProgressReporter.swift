import Foundation

/// Progress of a long loop (training steps, evaluation batches) on standard error.
///
/// On a terminal: one line redrawn in place with `\r`, e.g.
/// `[sst2] epoch 1/3  step 120/630 [###-----------------]  19%  loss 0.4312  lr 4.1e-05  1,234 tok/s  ETA 3m12s`
/// Elsewhere (a log file, CI): plain lines, e.g.
/// `[sst2] step 120/630 (19%) epoch 1/3 loss 0.4312 lr 4.1e-05 1234 tok/s eta 3m12s`
/// printed on every multiple of `loggingSteps`, whenever `plainInterval` seconds have passed
/// since the last line, and on the last step.
///
/// The ETA is the mean step time over the last `windowSize` updates times the steps left: a
/// moving window follows a change of speed (warm-up, another job on the machine) within a few
/// steps, where the mean since the start would lag for the whole run.
public final class ProgressReporter {
    private let sink: ProgressSink
    private let clock: () -> Double
    private let plainInterval: Double
    private let loggingSteps: Int?
    private let windowSize: Int
    /// A terminal is redrawn at most this often: redrawing costs more than a fast step.
    private let redrawInterval = 0.1

    private var label = ""
    private var total = 0
    private var epochs = 1
    private var startTime = 0.0
    private var startStep = 0
    private var samples: [(step: Int, time: Double)] = []
    private var latest: ProgressSnapshot?
    private var lastOutputTime = 0.0
    private var lastOutputStep: Int?
    /// The bar now on the terminal's last line, redrawn after a `message`.
    private var barOnScreen: String?
    private var running = false

    /// - Parameters:
    ///   - sink: standard error unless a test records the text.
    ///   - clock: seconds on a monotonic clock.
    ///   - plainInterval: the longest silence between plain lines, in seconds.
    ///   - loggingSteps: also print a plain line on each multiple of this step.
    ///   - windowSize: how many recent updates the ETA averages over.
    public init(sink: ProgressSink = StandardErrorSink(), clock: @escaping () -> Double = monotonicSeconds,
                plainInterval: Double = 10, loggingSteps: Int? = nil, windowSize: Int = 20) {
        precondition(windowSize >= 2, "the ETA window needs two updates to measure a step")
        self.sink = sink
        self.clock = clock
        self.plainInterval = plainInterval
        self.loggingSteps = loggingSteps
        self.windowSize = windowSize
    }

    /// Begins a loop of `total` steps. `initialStep` is where a resumed run starts, so that the
    /// first measured steps are not credited with the ones done before.
    public func start(total: Int, label: String, epochs: Int = 1, initialStep: Int = 0) {
        precondition(total > 0, "a progress loop needs at least one step")
        self.label = label
        self.total = total
        self.epochs = max(1, epochs)
        startTime = clock()
        startStep = initialStep
        samples = [(initialStep, startTime)]
        latest = nil
        lastOutputTime = startTime
        lastOutputStep = nil
        barOnScreen = nil
        running = true
    }

    /// Reports that `step` steps are done; `epoch` counts from 0 (1.5 is halfway through the
    /// second epoch). Unknown values are left out of the line.
    public func update(step: Int, epoch: Double, loss: Double? = nil, learningRate: Double? = nil,
                       tokensPerSecond: Double? = nil) {
        precondition(running, "ProgressReporter.update before start or after finish")
        let now = clock()
        samples.append((step, now))
        if samples.count > windowSize { samples.removeFirst(samples.count - windowSize) }
        let snapshot = ProgressSnapshot(label: label, step: step, total: total,
                                        epoch: min(epochs, Int(epoch) + 1), epochs: epochs,
                                        loss: loss, learningRate: learningRate,
                                        tokensPerSecond: tokensPerSecond, eta: eta(step: step, now: now))
        latest = snapshot
        let isLast = step >= total
        if sink.isTerminal {
            guard isLast || barOnScreen == nil || now - lastOutputTime >= redrawInterval else { return }
            draw(snapshot.barLine())
        } else {
            let onLoggingStep = loggingSteps.map { $0 > 0 && step % $0 == 0 } ?? false
            guard isLast || onLoggingStep || now - lastOutputTime >= plainInterval else { return }
            sink.write(snapshot.plainLine() + "\n")
        }
        lastOutputTime = now
        lastOutputStep = step
    }

    /// Prints a line of its own (an evaluation result, a checkpoint saved) without breaking
    /// the bar: on a terminal the bar is cleared, the text printed, and the bar redrawn below.
    public func message(_ text: String) {
        if sink.isTerminal, let bar = barOnScreen {
            sink.write("\r\u{1B}[K" + text + "\n" + bar)
        } else {
            sink.write(text + "\n")
        }
    }

    /// Ends the loop: the last state is shown if it was not, then how long the loop took.
    public func finish() {
        guard running else { return }
        running = false
        let elapsed = clock() - startTime
        if let latest {
            if sink.isTerminal {
                if lastOutputStep != latest.step || barOnScreen == nil { draw(latest.barLine()) }
                sink.write("\n")
            } else if lastOutputStep != latest.step {
                sink.write(latest.plainLine() + "\n")
            }
        }
        barOnScreen = nil
        let steps = (latest?.step ?? startStep) - startStep
        sink.write("[\(label)] done: \(steps) steps in \(formatDuration(elapsed))\n")
    }

    /// Draws `line` over the current one, cut to the terminal's width (minus one column, where
    /// some terminals wrap early).
    private func draw(_ line: String) {
        var shown = line
        if let columns = sink.columns, columns > 1, line.unicodeScalars.count > columns - 1 {
            shown = String(String.UnicodeScalarView(line.unicodeScalars.prefix(columns - 1)))
        }
        barOnScreen = "\r" + shown + "\u{1B}[K"
        sink.write(barOnScreen!)
    }

    /// Mean step time over the window times the steps left; nil until a step has been timed.
    private func eta(step: Int, now: Double) -> Double? {
        guard let first = samples.first, step > first.step else { return nil }
        let secondsPerStep = (now - first.time) / Double(step - first.step)
        return secondsPerStep * Double(max(0, total - step))
    }
}

/// One update's values and the two ways of printing them.
struct ProgressSnapshot {
    var label: String
    var step: Int
    var total: Int
    /// 1-based, for display.
    var epoch: Int
    var epochs: Int
    var loss: Double?
    var learningRate: Double?
    var tokensPerSecond: Double?
    var eta: Double?

    /// Whole percent, rounded down: 100% only when the loop is done.
    var percent: Int { min(100, max(0, step * 100 / total)) }

    /// `[sst2] step 120/630 (19%) epoch 1/3 loss 0.4312 lr 4.1e-05 1234 tok/s eta 3m12s`
    func plainLine() -> String {
        var parts = ["[\(label)] step \(step)/\(total) (\(percent)%) epoch \(epoch)/\(epochs)"]
        if let loss { parts.append("loss " + String(format: "%.4f", loss)) }
        if let learningRate { parts.append("lr " + String(format: "%.1e", learningRate)) }
        if let tokensPerSecond, tokensPerSecond.isFinite { parts.append("\(Int(tokensPerSecond.rounded())) tok/s") }
        if let eta { parts.append("eta " + formatDuration(eta)) }
        return parts.joined(separator: " ")
    }

    /// `[sst2] epoch 1/3  step 120/630 [###-----------------]  19%  loss 0.4312  lr 4.1e-05  1,234 tok/s  ETA 3m12s`
    func barLine(width: Int = 20) -> String {
        let filled = min(width, max(0, step * width / total))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let paddedPercent = String(repeating: " ", count: max(0, 3 - String(percent).count)) + "\(percent)%"
        var parts = ["[\(label)] epoch \(epoch)/\(epochs)", "step \(step)/\(total) [\(bar)] \(paddedPercent)"]
        if let loss { parts.append("loss " + String(format: "%.4f", loss)) }
        if let learningRate { parts.append("lr " + String(format: "%.1e", learningRate)) }
        if let tokensPerSecond, tokensPerSecond.isFinite { parts.append(groupThousands(Int(tokensPerSecond.rounded())) + " tok/s") }
        if let eta { parts.append("ETA " + formatDuration(eta)) }
        return parts.joined(separator: "  ")
    }
}

/// 1234567 -> "1,234,567".
func groupThousands(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, digit) in digits.unicodeScalars.enumerated() {
        if index > 0, (digits.unicodeScalars.count - index) % 3 == 0 { out += "," }
        out.unicodeScalars.append(digit)
    }
    return value < 0 ? "-" + out : out
}
