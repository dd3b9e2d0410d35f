import Foundation

/// The instruction-set features that decide which OpenBLAS kernel can run, read from
/// /proc/cpuinfo's `flags` line (Linux's names).
public struct CPUFeatures: Equatable, Sendable {
    public var flags: Set<String>
    public var modelName: String

    public init(flags: Set<String>, modelName: String = "") {
        self.flags = flags
        self.modelName = modelName
    }

    /// SkylakeX's kernels need AVX-512 F, DQ, BW and VL.
    public var hasAVX512: Bool { ["avx512f", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains) }
    /// Cooperlake adds bfloat16 instructions on top of SkylakeX.
    public var hasAVX512BF16: Bool { hasAVX512 && flags.contains("avx512_bf16") }
    /// Haswell/Zen kernels need AVX2 and FMA.
    public var hasAVX2: Bool { flags.contains("avx2") && flags.contains("fma") }

    /// This machine's features, from /proc/cpuinfo (empty when it cannot be read).
    public static func current() -> CPUFeatures {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            return CPUFeatures(flags: [])
        }
        return parse(cpuinfo: text)
    }

    /// Reads the first processor's `flags` and `model name` lines.
    public static func parse(cpuinfo text: String) -> CPUFeatures {
        var flags = Set<String>()
        var model = ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            if key == "flags", flags.isEmpty { flags = Set(value.split(separator: " ").map(String.init)) }
            if key == "model name", model.isEmpty { model = value }
        }
        return CPUFeatures(flags: flags, modelName: model)
    }
}
