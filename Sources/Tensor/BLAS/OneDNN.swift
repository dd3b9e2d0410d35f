import COneDNN
import Foundation

/// oneDNN, loaded with dlopen at first use (the fp32 engine never loads it): bf16 matmuls with
/// float32 accumulation and a float32 C, the engine's GEMMs in bf16 precision (`engineGEMM`).
///
/// The C side (Sources/COneDNN) keeps one primitive per shape, layout, leading dimensions, alpha,
/// beta and thread count (at most 512, all dropped when full) and runs one matmul at a time: calls from
/// several threads are safe and take turns. Each matmul runs on oneDNN's OpenMP threads, as many
/// as `Parallel.threadCount` at the call (or OMP_NUM_THREADS where you set it).
// Unchecked, and sound: its stored properties are immutable, and the C side serialises the
// matmuls behind its own mutex.
public final class OneDNN: @unchecked Sendable {
    /// The library's version, e.g. "2.6.3".
    public let version: String
    /// Whether the environment set OMP_NUM_THREADS before the load: then every product keeps it.
    let threadsFromEnvironment: Bool

    private init(version: String, threadsFromEnvironment: Bool) {
        self.version = version
        self.threadsFromEnvironment = threadsFromEnvironment
    }

    /// The process's one load, success or failure, made at the first `load()`.
    private static let loaded: Result<OneDNN, OneDNNError> = {
        let threadsFromEnvironment = ProcessInfo.processInfo.environment["OMP_NUM_THREADS"] != nil
        setOpenMPDefaults(threads: Parallel.threadCount)
        var error = [CChar](repeating: 0, count: 512)
        let status = bk_onednn_load(&error, error.count)
        let reason = String(cString: error)
        switch status {
        case 0:
            var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
            bk_onednn_version(&major, &minor, &patch)
            return .success(OneDNN(version: "\(major).\(minor).\(patch)", threadsFromEnvironment: threadsFromEnvironment))
        case BK_ONEDNN_LIBRARY_NOT_FOUND:
            return .failure(.libraryNotFound(reason))
        case BK_ONEDNN_MISSING_SYMBOL:
            return .failure(.missingSymbol(reason))
        default:
            return .failure(.engineUnavailable(reason))
        }
    }()

    /// The library, loaded once per process; every later call returns the first one's outcome.
    public static func load() throws -> OneDNN {
        try loaded.get()
    }

    /// OMP_WAIT_POLICY when the environment does not set it (see `setOpenMPDefaults`).
    static let waitPolicy = "PASSIVE"

    /// For a server, called before the library loads: OpenMP's workers spin for a short while
    /// after a product before they sleep (OMP_WAIT_POLICY ACTIVE with GOMP_SPINCOUNT 10,000,
    /// about 0.2 ms), unless the environment sets either. One request's forward pass is some 26
    /// products of a few rows, each of which woke a sleeping worker under PASSIVE (a quarter of a
    /// one-sentence request's time, BENCHMARKS.md sitting 15). Training keeps PASSIVE, where
    /// spinning cost a fifth of the step: the engine's threads work between products.
    public static func spinBrieflyBetweenProducts() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OMP_WAIT_POLICY"] == nil, environment["GOMP_SPINCOUNT"] == nil else { return }
        setenv("OMP_WAIT_POLICY", "ACTIVE", 1)
        setenv("GOMP_SPINCOUNT", String(serverSpinCount), 1)
    }

    /// GOMP_SPINCOUNT of `spinBrieflyBetweenProducts`.
    static let serverSpinCount = 10_000

    /// oneDNN's OpenMP runtime reads its settings once, as the library loads, so they are set
    /// here, before `bk_onednn_load`; a value you set is kept. Threads: as many as the engine's
    /// own loops use, then at each product as many as they use then (`followEngineThreads`).
    /// Wait policy: after a parallel region, OpenMP's workers spin for a while
    /// before sleeping by default; the engine's own threads run the element-wise kernels and
    /// attention's per-head products right after a GEMM, on the same cores, and would lose time
    /// to them, as they did to OpenBLAS's spinning workers (OPENBLAS_THREAD_TIMEOUT in
    /// OpenBLAS.swift). PASSIVE puts them to sleep at once; waking them costs microseconds per
    /// GEMM.
    static func setOpenMPDefaults(threads: Int) {
        let environment = ProcessInfo.processInfo.environment
        if environment["OMP_NUM_THREADS"] == nil { setenv("OMP_NUM_THREADS", String(max(1, threads)), 1) }
        if environment["OMP_WAIT_POLICY"] == nil { setenv("OMP_WAIT_POLICY", waitPolicy, 1) }
    }

    /// Row-major C[m x n] = alpha·op(A)[m x k]·op(B)[k x n] + beta·C with A and B bfloat16 bit
    /// patterns (`BFloat16.round`) and C float32, accumulated in float32. `transposeA` means A
    /// is stored [k x m], `transposeB` that B is stored [n x k]. beta is 0 (C is only written)
    /// or 1. A failure is a caller's mistake (a bad leading dimension, another beta) and stops
    /// the process with oneDNN's reason.
    public func matmulBF16(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                           a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int,
                           beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        run(m: m, n: n) { error, size in
            bk_onednn_matmul_bf16(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb,
                                  beta, c, ldc, error, size)
        }
    }

    /// The same product with B a weight matrix packed once into oneDNN's own layout
    /// (`BF16Matrix.packedB`): for the many products of inference on unchanging weights.
    func matmulBF16(transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                    a: UnsafePointer<UInt16>, lda: Int, packedB: OpaquePointer,
                    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        run(m: m, n: n) { error, size in
            bk_onednn_matmul_bf16_packed(transposeA ? 1 : 0, m, n, k, alpha, a, lda, packedB, beta, c, ldc, error, size)
        }
    }

    /// Calls `product` (one of COneDNN's matmuls, given an error buffer and its size) unless
    /// C is empty, timed as a GEMM; a failure stops the process with oneDNN's reason.
    private func run(m: Int, n: Int, _ product: (UnsafeMutablePointer<CChar>, Int) -> Int32) {
        if m == 0 || n == 0 { return }
        followEngineThreads()
        Profiler.measure(.gemm) {
            var error = [CChar](repeating: 0, count: 512)
            let status = error.withUnsafeMutableBufferPointer { product($0.baseAddress!, $0.count) }
            if status != 0 { preconditionFailure(String(cString: error)) }
        }
    }

    /// The next products run on as many OpenMP threads as the engine's loops have now. The
    /// library loads before a task or a rank has set `Parallel.threadCount` (the bf16 check
    /// comes first), and OpenMP reads OMP_NUM_THREADS only then: without this, a task's
    /// `threads` or a rank's share of the cores never reached oneDNN, whose products ran on as
    /// many threads as the process had cores.
    private func followEngineThreads() {
        if !threadsFromEnvironment { bk_onednn_set_threads(Int32(clamping: Parallel.threadCount)) }
    }

    /// The implementation oneDNN runs for a bf16 product of this shape (dense operands), e.g.
    /// "brg:avx512_core_bf16" on a CPU with bf16 units, "gemm:jit" where it emulates them.
    public func implementation(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> String {
        followEngineThreads()
        guard let name = bk_onednn_matmul_impl(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k) else {
            return "unavailable"
        }
        return String(cString: name)
    }
}

public enum OneDNNError: Error, CustomStringConvertible, Equatable {
    /// dlopen failed; the reason is dlerror's text.
    case libraryNotFound(String)
    /// The library lacks a function BertKit calls (not oneDNN 2.x).
    case missingSymbol(String)
    /// The library loaded but could not make a CPU engine.
    case engineUnavailable(String)

    public var description: String {
        switch self {
        case .libraryNotFound(let why):
            return "cannot load oneDNN (\(why)); bf16 needs it: install it with `apt-get install -y libdnnl2` "
                + "(or libdnnl-dev), or use precision fp32"
        case .missingSymbol(let why):
            return "cannot use oneDNN (\(why)); bf16 needs oneDNN 2.x: install it with `apt-get install -y libdnnl2`, "
                + "or use precision fp32"
        case .engineUnavailable(let why):
            return "cannot use oneDNN (\(why)); use precision fp32"
        }
    }
}
