import Foundation

/// Whether bf16 can run on this machine: the user-facing check that `run`, `predict`, `embed`
/// and `bench` make before any work.
public enum BF16Support {
    /// Set to 1 to let bf16 run where the CPU has no bfloat16 units: oneDNN then converts the
    /// operands and multiplies in float32 (the same values, several times slower than fp32).
    /// For testing the bf16 path on such machines, not for speed.
    public static let emulationVariable = "BERTKIT_BF16_EMULATION"

    /// The CPU's bfloat16 units, by Linux's flag names: AVX512-BF16's dot products (Zen 4,
    /// Zen 5, Cooper Lake and later Xeons) or AMX's bf16 tiles (Sapphire Rapids and later).
    public static func hasBF16Units(_ features: CPUFeatures) -> Bool {
        features.hasAVX512BF16 || features.flags.contains("amx_bf16")
    }

    /// Whether oneDNN has a bf16 matmul for this CPU at all: on bfloat16 units, or emulated with
    /// AVX-512 (avx512f, bw, vl, dq). oneDNN 2.x has none for a CPU with AVX2 alone.
    public static func oneDNNRunsBF16(_ features: CPUFeatures) -> Bool {
        hasBF16Units(features) || features.hasAVX512
    }

    /// Why oneDNN cannot run bf16 on this CPU, or nil where it can: the skip message of the tests
    /// that need a bf16 matmul.
    public static func missingBF16Matmul(_ features: CPUFeatures) -> String? {
        oneDNNRunsBF16(features) ? nil
            : "this CPU has neither bf16 units nor AVX-512 (avx512f/bw/vl/dq): oneDNN has no bf16 matmul for it"
    }

    /// Throws, naming what is missing, unless bf16 can run: a CPU with bfloat16 units (or
    /// emulation asked for, on a CPU with AVX-512) and a loadable oneDNN.
    public static func check(features: CPUFeatures = .current(),
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             loadOneDNN: () throws -> Void = { _ = try OneDNN.load() }) throws {
        if !hasBF16Units(features) {
            guard environment[emulationVariable] == "1" else { throw PrecisionError.noBF16Units(cpu: features.modelName) }
            // oneDNN would abort at the first matmul ("unimplemented"), not return an error
            guard oneDNNRunsBF16(features) else { throw PrecisionError.noBF16Emulation(cpu: features.modelName) }
        }
        do {
            try loadOneDNN()
        } catch {
            throw PrecisionError.oneDNNUnavailable("\(error)")
        }
    }
}

public enum PrecisionError: Error, CustomStringConvertible, Equatable {
    case noBF16Units(cpu: String)
    /// Emulation asked for on a CPU without AVX-512, where oneDNN has no bf16 matmul at all.
    case noBF16Emulation(cpu: String)
    case oneDNNUnavailable(String)

    public var description: String {
        switch self {
        case .noBF16Units(let cpu):
            let name = cpu.isEmpty ? "this CPU" : "this CPU (\(cpu))"
            return "precision bf16 needs bfloat16 units, and \(name) has neither avx512_bf16 nor amx_bf16 "
                + "among its /proc/cpuinfo flags: use precision fp32 (set \(BF16Support.emulationVariable)=1 "
                + "to run bf16 emulated by oneDNN, slower than fp32, for testing)"
        case .noBF16Emulation(let cpu):
            let name = cpu.isEmpty ? "this CPU" : "this CPU (\(cpu))"
            return "\(BF16Support.emulationVariable)=1: bf16 emulation needs AVX-512 (avx512f, avx512bw, avx512vl, avx512dq), "
                + "and \(name) has not all of them among its /proc/cpuinfo flags, so oneDNN has no bf16 matmul for it: "
                + "use precision fp32"
        case .oneDNNUnavailable(let why):
            return "precision bf16: \(why)"
        }
    }
}
