#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where a `ProgressReporter` writes. Tests pass a sink that records the text.
public protocol ProgressSink: AnyObject {
    /// A terminal gets one redrawn line; anything else (a log file, CI) gets plain lines.
    var isTerminal: Bool { get }
    /// The terminal's width, if known: a bar longer than that would wrap, and `\r` would then
    /// redraw only its last row.
    var columns: Int? { get }
    func write(_ text: String)
}

extension ProgressSink {
    public var columns: Int? { nil }
}

/// Standard error, unbuffered, so progress interleaves correctly with other diagnostics.
public final class StandardErrorSink: ProgressSink {
    public let isTerminal: Bool

    public init() { isTerminal = isatty(2) != 0 }

    /// Asked at each draw, so a resized window is followed.
    public var columns: Int? {
        var size = winsize()
        guard isTerminal, ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    public func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Seconds on a clock that only moves forward (not the wall clock, which can jump).
public func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// Shows nothing: the ranks of a data-parallel run other than 0, whose progress rank 0 shows.
public final class SilentSink: ProgressSink {
    public init() {}
    public var isTerminal: Bool { false }
    public func write(_ text: String) {}
}
