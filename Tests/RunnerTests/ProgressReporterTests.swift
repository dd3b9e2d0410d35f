import Foundation
import XCTest
@testable import Runner

/// Records what a reporter writes, as a terminal or as a log file.
private final class RecordingSink: ProgressSink {
    let isTerminal: Bool
    let columns: Int?
    var text = ""
    init(isTerminal: Bool, columns: Int? = nil) {
        self.isTerminal = isTerminal
        self.columns = columns
    }
    func write(_ text: String) { self.text += text }
}

/// A clock the test moves by hand.
private final class ManualClock {
    var now = 0.0
}

final class ProgressReporterTests: XCTestCase {
    func testPlainLinesAreTimedByTheIntervalAndTheLastStep() {
        let sink = RecordingSink(isTerminal: false)
        let clock = ManualClock()
        let reporter = ProgressReporter(sink: sink, clock: { clock.now }, plainInterval: 10)
        reporter.start(total: 10, label: "sst2", epochs: 1)
        // One step every 3 s: lines at 12 s (step 4), 24 s (step 8) and the last step.
        for step in 1...10 {
            clock.now = Double(step) * 3
            reporter.update(step: step, epoch: Double(step) / 10, loss: 0.4312, learningRate: 4.1e-5, tokensPerSecond: 1234.4)
        }
        clock.now = 31
        reporter.finish()
        XCTAssertEqual(sink.text, """
        [sst2] step 4/10 (40%) epoch 1/1 loss 0.4312 lr 4.1e-05 1234 tok/s eta 18s
        [sst2] step 8/10 (80%) epoch 1/1 loss 0.4312 lr 4.1e-05 1234 tok/s eta 6s
        [sst2] step 10/10 (100%) epoch 1/1 loss 0.4312 lr 4.1e-05 1234 tok/s eta 0s
        [sst2] done: 10 steps in 31s

        """)
    }

    func testLoggingStepsAndMessagesInPlainMode() {
        let sink = RecordingSink(isTerminal: false)
        let clock = ManualClock()
        let reporter = ProgressReporter(sink: sink, clock: { clock.now }, plainInterval: 10, loggingSteps: 5)
        reporter.start(total: 630, label: "ner", epochs: 3)
        for step in 1...11 {
            clock.now = Double(step)
            reporter.update(step: step, epoch: Double(step) / 210, loss: step == 10 ? .nan : 1.5)
            if step == 7 { reporter.message("[ner] eval f1 0.8123") }
        }
        clock.now = 192.4
        reporter.finish()
        XCTAssertEqual(sink.text, """
        [ner] step 5/630 (0%) epoch 1/3 loss 1.5000 eta 10m25s
        [ner] eval f1 0.8123
        [ner] step 10/630 (1%) epoch 1/3 loss nan eta 10m20s
        [ner] step 11/630 (1%) epoch 1/3 loss 1.5000 eta 10m19s
        [ner] done: 11 steps in 3m12s

        """)
    }

    func testETAFollowsTheMovingWindow() {
        let sink = RecordingSink(isTerminal: false)
        let clock = ManualClock()
        let reporter = ProgressReporter(sink: sink, clock: { clock.now }, loggingSteps: 1, windowSize: 3)
        reporter.start(total: 100, label: "t")
        // 1 s per step, then 10 s per step: the window of 3 updates forgets the fast steps.
        for (step, time) in [(1, 1.0), (2, 2.0), (3, 3.0), (4, 13.0), (5, 23.0)] {
            clock.now = time
            reporter.update(step: step, epoch: 0)
        }
        XCTAssertEqual(sink.text.split(separator: "\n").map(String.init), [
            "[t] step 1/100 (1%) epoch 1/1 eta 1m39s",
            "[t] step 2/100 (2%) epoch 1/1 eta 1m38s",
            "[t] step 3/100 (3%) epoch 1/1 eta 1m37s",
            "[t] step 4/100 (4%) epoch 1/1 eta 8m48s",
            "[t] step 5/100 (5%) epoch 1/1 eta 15m50s",
        ])
    }

    func testResumedRunMeasuresOnlyItsOwnSteps() {
        let sink = RecordingSink(isTerminal: false)
        let clock = ManualClock()
        let reporter = ProgressReporter(sink: sink, clock: { clock.now }, loggingSteps: 1)
        clock.now = 100
        reporter.start(total: 400, label: "t", epochs: 2, initialStep: 300)
        clock.now = 102
        reporter.update(step: 301, epoch: 1.5)
        clock.now = 103
        reporter.finish()
        XCTAssertEqual(sink.text, """
        [t] step 301/400 (75%) epoch 2/2 eta 3m18s
        [t] done: 1 steps in 3s

        """)
    }

    func testTerminalBarIsRedrawnInPlace() {
        let sink = RecordingSink(isTerminal: true)
        let clock = ManualClock()
        let reporter = ProgressReporter(sink: sink, clock: { clock.now })
        reporter.start(total: 4, label: "sst2", epochs: 2)
        clock.now = 0.5
        reporter.update(step: 1, epoch: 0.5, loss: 1, learningRate: 2e-5, tokensPerSecond: 12345.6)
        let first = "\r[sst2] epoch 1/2  step 1/4 [#####---------------]  25%  loss 1.0000  lr 2.0e-05  12,346 tok/s  ETA 2s\u{1B}[K"
        XCTAssertEqual(sink.text, first)
        // Within 0.1 s of the last draw: not redrawn.
        clock.now = 0.55
        reporter.update(step: 2, epoch: 1, loss: 0.9)
        XCTAssertEqual(sink.text, first)
        // A message clears the line, prints, and puts the bar back.
        reporter.message("saved last/")
        XCTAssertEqual(sink.text, first + "\r\u{1B}[Ksaved last/\n" + first)
        // finish shows the latest state (step 2, not drawn yet), ends the line, and the total.
        clock.now = 61
        sink.text = ""
        reporter.finish()
        XCTAssertEqual(sink.text, "\r[sst2] epoch 2/2  step 2/4 [##########----------]  50%  loss 0.9000  ETA 1s\u{1B}[K\n[sst2] done: 2 steps in 1m01s\n")
    }

    func testBarIsCutToTheTerminalWidth() {
        let sink = RecordingSink(isTerminal: true, columns: 41)
        let clock = ManualClock()
        let reporter = ProgressReporter(sink: sink, clock: { clock.now })
        reporter.start(total: 4, label: "sst2")
        clock.now = 1
        reporter.update(step: 2, epoch: 0, loss: 0.5)
        XCTAssertEqual(sink.text, "\r[sst2] epoch 1/1  step 2/4 [##########--\u{1B}[K")
    }

    func testDurations() {
        XCTAssertEqual(formatDuration(0), "0s")
        XCTAssertEqual(formatDuration(45), "45s")
        XCTAssertEqual(formatDuration(59.4), "59s")
        XCTAssertEqual(formatDuration(59.6), "1m00s")
        XCTAssertEqual(formatDuration(192), "3m12s")
        XCTAssertEqual(formatDuration(3599), "59m59s")
        XCTAssertEqual(formatDuration(3600), "1h00m")
        XCTAssertEqual(formatDuration(3840), "1h04m")
        XCTAssertEqual(formatDuration(90_000), "25h00m")
        XCTAssertEqual(formatDuration(.nan), "?")
        XCTAssertEqual(formatDuration(-1), "?")
    }

    func testThousandsGrouping() {
        XCTAssertEqual(groupThousands(0), "0")
        XCTAssertEqual(groupThousands(999), "999")
        XCTAssertEqual(groupThousands(1234), "1,234")
        XCTAssertEqual(groupThousands(1_234_567), "1,234,567")
        XCTAssertEqual(groupThousands(-12_345), "-12,345")
    }
}
