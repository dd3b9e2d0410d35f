import Foundation
import Tensor

/// What a benchmark result must name: the CPU, the kernel it ran, the threads.
struct MachineInfo: Codable {
    var cpu: String
    var kernelRelease: String
    var blasKernel: String
    var blasThreads: Int
    var date: String

    static func current() -> MachineInfo {
        let blas = OpenBLAS.shared
        var cpu = blas.features.modelName
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            let family = text.split(separator: "\n").first { $0.hasPrefix("cpu family") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
            let model = text.split(separator: "\n").first { $0.hasPrefix("model\t") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
            if let family, let model { cpu += " (family \(family) model \(model))" }
        }
        let release = (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        let formatter = ISO8601DateFormatter()
        return MachineInfo(cpu: cpu, kernelRelease: release, blasKernel: blas.kernelReport,
                           blasThreads: blas.threads, date: formatter.string(from: Date()))
    }

    var lines: [String] {
        ["cpu: \(cpu)", "linux: \(kernelRelease)", "openblas kernel: \(blasKernel)", "date: \(date)"]
    }
}

/// Median, minimum and maximum of a sample.
struct Summary: Codable {
    var median: Double
    var min: Double
    var max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        let n = sorted.count
        median = n == 0 ? 0 : (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2)
        min = sorted.first ?? 0
        max = sorted.last ?? 0
    }
}

/// Seconds of a monotonic clock.
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
