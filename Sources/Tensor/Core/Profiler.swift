import Foundation

/// Where a training or inference step spends its time, by category, for `bertkit bench`.
/// Off by default (one branch per op). Time is exclusive: a GEMM inside a layer-norm call would
/// count as GEMM. Only the thread that turned profiling on records (the graph's thread), so work
/// that an op spreads over the cores is charged to that op: the attention op's per-head
/// products, which run on worker threads (bk_small_gemm, not OpenBLAS), count as attention.
public enum Profiler {
    public enum Category: String, CaseIterable, Codable, Sendable {
        case gemm = "GEMM"
        case attention = "attention (products, softmax, dropout)"
        case normalization = "layer norm + GELU + residual"
        case dropout
        case embedding
        case loss
        case optimizer
        /// Data-parallel training: the wait for the gradient sums after the backward (what the
        /// backward did not hide).
        case allreduce = "allreduce (exposed)"
        case other
    }

    // Unsafe, and sound as used: only `bertkit bench` turns the profiler on, around steps that
    // one thread drives, and only that thread (`owner`) records: the other threads only read
    // `isEnabled`, which does not change while the steps run.
    nonisolated(unsafe) public static var isEnabled = false {
        didSet { owner = pthread_self() }
    }
    nonisolated(unsafe) private static var owner = pthread_self()
    nonisolated(unsafe) private static var totals = [Double](repeating: 0, count: Category.allCases.count)
    nonisolated(unsafe) private static var stack: [(category: Int, start: Double)] = []

    /// Runs `body`, charging its time (less that of nested measurements) to `category`.
    @inline(__always)
    public static func measure<T>(_ category: Category, _ body: () throws -> T) rethrows -> T {
        guard isEnabled, pthread_equal(pthread_self(), owner) != 0 else { return try body() }
        enter(category)
        defer { exit() }
        return try body()
    }

    static func enter(_ category: Category) {
        let t = clock()
        if let top = stack.last { totals[top.category] += t - top.start }
        stack.append((Category.allCases.firstIndex(of: category)!, t))
    }

    static func exit() {
        let t = clock()
        let top = stack.removeLast()
        totals[top.category] += t - top.start
        if !stack.isEmpty { stack[stack.count - 1].start = t }
    }

    /// Seconds per category since the last reset.
    public static var seconds: [Category: Double] {
        Dictionary(uniqueKeysWithValues: Category.allCases.enumerated().map { ($0.element, totals[$0.offset]) })
    }

    public static func reset() {
        totals = [Double](repeating: 0, count: Category.allCases.count)
        stack.removeAll()
    }

    @inline(__always) static func clock() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
