/// Durations as a person reads them in a progress line: "45s", "3m12s", "1h04m".
/// Seconds are rounded first, so 59.6 s is "1m00s", not "60s".
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let total = Int(seconds.rounded())
    if total < 60 { return "\(total)s" }
    if total < 3600 { return "\(total / 60)m" + twoDigits(total % 60) + "s" }
    // Past an hour the seconds are noise; minutes are kept, rounded down.
    return "\(total / 3600)h" + twoDigits(total % 3600 / 60) + "m"
}

private func twoDigits(_ value: Int) -> String {
    value < 10 ? "0\(value)" : "\(value)"
}
