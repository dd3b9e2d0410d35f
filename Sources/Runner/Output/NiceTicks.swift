import Foundation

/// Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten), about `count` of them.
enum NiceTicks {
    /// The tick spacing: the nice number nearest to the range split into `count - 1` parts.
    /// (0, 1) -> 0.2; (0, 630) -> 200; (0.31, 0.72) -> 0.1.
    static func step(from low: Double, to high: Double, count: Int = 5) -> Double {
        precondition(high > low && count >= 2, "NiceTicks needs a non-empty range")
        let raw = (high - low) / Double(count - 1)
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let nice: Double
        if fraction < 1.5 { nice = 1 } else if fraction < 3 { nice = 2 } else if fraction < 7 { nice = 5 } else { nice = 10 }
        return nice * magnitude
    }

    /// The multiples of `step` inside [low, high]. Each is `index * step`, not a running sum,
    /// so that 0.6 does not come out as 0.6000000000000001 after three additions.
    static func ticks(from low: Double, to high: Double, count: Int = 5) -> [Double] {
        let step = step(from: low, to: high, count: count)
        // A little slack so that a bound that is itself a multiple (1.0) is not lost to rounding.
        let first = Int((low / step - 1e-9).rounded(.up))
        let last = Int((high / step + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).map { index in
            // Dividing by an exact power of ten rounds better than multiplying by 0.1.
            let decimals = Self.decimals(for: step)
            if decimals > 0 {
                let scale = pow(10, Double(decimals))
                return (Double(index) * (step * scale).rounded()) / scale
            }
            return Double(index) * step
        }
    }

    /// How many decimals a label needs to tell ticks `step` apart: 0.2 -> 1, 0.05 -> 2, 200 -> 0.
    static func decimals(for step: Double) -> Int {
        max(0, Int((-log10(step) - 1e-9).rounded(.up)))
    }

    /// The label of one tick: fixed decimals for the step, or an exponent for very small or
    /// very large numbers that would not fit beside the axis.
    static func label(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        let decimals = decimals(for: step)
        if decimals > 5 || abs(value) >= 1e7 { return String(format: "%.2g", value) }
        return String(format: "%.\(decimals)f", value)
    }
}
