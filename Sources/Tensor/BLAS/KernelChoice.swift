/// Which OpenBLAS kernel the engine asks for, as a plain function of the CPU's features and the
/// user's setting (unit-tested for the CPUs of BENCHMARKS.md's sittings).
///
/// Debian's OpenBLAS 0.3.21 misdetects newer CPUs (Intel family 6 model 207 falls back to the
/// generic Prescott kernels, which leave its AVX-512 units unused). It reads OPENBLAS_CORETYPE once, when it loads, so the
/// engine sets it before `dlopen` unless the user already chose.
public struct KernelChoice: Equatable, Sendable {
    public enum Source: String, Sendable {
        case user = "OPENBLAS_CORETYPE set in the environment"
        case engine = "chosen by BertKit from the CPU's features"
        case library = "left to OpenBLAS's own detection"
    }
    /// The value to put in OPENBLAS_CORETYPE before loading, or nil to leave it alone.
    public var coreTypeToSet: String?
    /// The widest kernel this CPU can run, for reports ("Cooperlake", "Haswell", ...).
    public var widestKernel: String?
    public var source: Source

    /// The kernel families (names as `openblas_get_corename()` prints them) by vector width.
    static let avx512Kernels: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
    static let avx2Kernels: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

    /// - Parameters:
    ///   - features: the CPU's flags.
    ///   - userSetting: OPENBLAS_CORETYPE as found in the environment (nil or empty when unset).
    public static func decide(features: CPUFeatures, userSetting: String?) -> KernelChoice {
        let widest: String? = features.hasAVX512BF16 ? "Cooperlake"
            : features.hasAVX512 ? "SkylakeX"
            : features.hasAVX2 ? "Haswell"
            : nil
        if let user = userSetting, !user.isEmpty {
            return KernelChoice(coreTypeToSet: nil, widestKernel: widest, source: .user)
        }
        guard let widest else { return KernelChoice(coreTypeToSet: nil, widestKernel: nil, source: .library) }
        return KernelChoice(coreTypeToSet: widest, widestKernel: widest, source: .engine)
    }

    /// True when `liveKernel` (what the loaded library reports) uses the widest vectors the CPU has.
    public static func isWidest(liveKernel: String, features: CPUFeatures) -> Bool {
        let name = liveKernel.lowercased()
        if features.hasAVX512 { return avx512Kernels.contains(name) }
        if features.hasAVX2 { return avx2Kernels.contains(name) }
        return true
    }
}
