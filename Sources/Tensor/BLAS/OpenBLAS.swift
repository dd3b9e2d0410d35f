import CBLAS
import Foundation

/// OpenBLAS, loaded by the engine itself: choose the kernel (`KernelChoice`), set
/// OPENBLAS_CORETYPE, then `dlopen` and `dlsym` the few functions used. The first use in a
/// process loads it and checks `cblas_sgemm` against a plain reference on odd shapes; a library
/// that is missing or computes wrong results stops the process with a message naming the kernel.
///
/// Unchecked Sendable because the process has one instance, used from the graph's thread: its
/// mutable settings (`threads`, `threading`) are set by a command or task before its GEMMs run,
/// and the row blocks a GEMM hands to other threads only read them.
public final class OpenBLAS: @unchecked Sendable {
    private typealias SgemmFunction = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
        Float, UnsafePointer<Float>?, blasint, UnsafePointer<Float>?, blasint,
        Float, UnsafeMutablePointer<Float>?, blasint) -> Void
    private typealias CoreNameFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?
    private typealias SetThreadsFunction = @convention(c) (Int32) -> Void
    private typealias GetThreadsFunction = @convention(c) () -> Int32

    private let sgemmFunction: SgemmFunction
    private let setThreadsFunction: SetThreadsFunction?
    private let getThreadsFunction: GetThreadsFunction?
    /// The kernel OpenBLAS runs (`openblas_get_corename()`), e.g. "Cooperlake", "Haswell".
    public let kernel: String
    public let choice: KernelChoice
    public let features: CPUFeatures

    /// The process-wide library, loaded and verified on first use.
    public static let shared: OpenBLAS = {
        do {
            let blas = try OpenBLAS.load()
            try blas.verify()
            return blas
        } catch {
            FileHandle.standardError.write(Data("bertkit: \(error)\n".utf8))
            exit(70)
        }
    }()

    private init(handle: UnsafeMutableRawPointer, path: String, choice: KernelChoice, features: CPUFeatures) throws {
        guard let sgemm = dlsym(handle, "cblas_sgemm") else {
            throw BLASError.missingSymbol("cblas_sgemm", path)
        }
        sgemmFunction = unsafeBitCast(sgemm, to: SgemmFunction.self)
        setThreadsFunction = dlsym(handle, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreadsFunction.self) }
        getThreadsFunction = dlsym(handle, "openblas_get_num_threads").map { unsafeBitCast($0, to: GetThreadsFunction.self) }
        if let nameSymbol = dlsym(handle, "openblas_get_corename"),
           let cName = unsafeBitCast(nameSymbol, to: CoreNameFunction.self)() {
            kernel = String(cString: cName)
        } else {
            kernel = "unknown"
        }
        splitAlignment = GemmSplit.alignment(forKernel: kernel)
        self.choice = choice
        self.features = features
        threads = Int(getThreadsFunction?() ?? 1)
        defaultThreads = threads
        // BERTKIT_GEMM_THREADING=library: every GEMM threaded by OpenBLAS, for A/B runs.
        if ProcessInfo.processInfo.environment["BERTKIT_GEMM_THREADING"] == GemmThreading.library.rawValue {
            threading = .library
        }
    }

    /// OPENBLAS_THREAD_TIMEOUT when the environment does not set it (see `load`).
    static let threadTimeout = "4"

    static let candidatePaths = ["libopenblas.so.0", "libopenblas.so",
                                 "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
                                 "/usr/lib/aarch64-linux-gnu/libopenblas.so.0"]

    static func load() throws -> OpenBLAS {
        let features = CPUFeatures.current()
        let userSetting = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let choice = KernelChoice.decide(features: features, userSetting: userSetting)
        if let coreType = choice.coreTypeToSet { setenv("OPENBLAS_CORETYPE", coreType, 1) }
        // After a GEMM, OpenBLAS's worker threads spin (sched_yield) for up to 2^28 cycles by
        // default before sleeping. The engine's own threads run the element-wise kernels and
        // attention's per-head products right after, on the same two cores, and lost time to the
        // spinning threads; 2^4 puts the workers to sleep at once (waking them
        // costs microseconds per large GEMM). BENCHMARKS.md, sitting 3. A value you set is kept.
        if ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", OpenBLAS.threadTimeout, 1)
        }
        for path in candidatePaths {
            if let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) {
                return try OpenBLAS(handle: handle, path: path, choice: choice, features: features)
            }
        }
        throw BLASError.libraryNotFound(String(cString: dlerror()))
    }

    /// The live kernel's description for reports: name, why, and whether it is the widest.
    public var kernelReport: String {
        var text = "\(kernel) (\(choice.source.rawValue)"
        if let widest = choice.widestKernel, !KernelChoice.isWidest(liveKernel: kernel, features: features) {
            text += "; this CPU could run \(widest): unset OPENBLAS_CORETYPE to let BertKit choose"
        }
        let timeout = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"].map { "2^\($0)" } ?? "OpenBLAS's default"
        return text + "; thread timeout \(timeout))"
    }

    /// Cores one GEMM uses (OpenBLAS's thread count as it loads, e.g. from OPENBLAS_NUM_THREADS).
    public var threads: Int

    /// `threads` as the library loaded: what a task without `threads` runs on.
    public let defaultThreads: Int

    /// Who spreads a GEMM over those cores: the engine (`split`, the default) or OpenBLAS.
    public var threading: GemmThreading = .split

    /// Where the live kernel lets row blocks end without changing a bit (`GemmSplit.alignment`).
    let splitAlignment: Int

    /// OpenBLAS's own thread count, set before each call: 1 for calls on the engine's threads
    /// (two concurrent calls must not each start the library's pool), `threads` for the
    /// calls the library threads. GEMMs are issued one at a time, from the graph's thread.
    private var libraryThreads = 0
    private func setLibraryThreads(_ count: Int) {
        if count != libraryThreads { setThreadsFunction?(Int32(max(1, count))); libraryThreads = count }
    }

    /// Row-major C[m x n] = alpha * op(A)[m x k] · op(B)[k x n] + beta * C.
    /// `transposeA` means A is stored [k x m]; `transposeB` means B is stored [n x k].
    public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        Profiler.measure(.gemm) {
            let plan = threading == .library ? .library
                : GemmSplit.plan(m: m, n: n, k: k, threads: threads, alignment: splitAlignment)
            switch plan {
            case .callingThread:
                setLibraryThreads(1)
                call(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            case .library:
                setLibraryThreads(threads)
                call(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            case .rowBlocks(let count):
                setLibraryThreads(1)
                Parallel.forEachBlock(.aligned(m, blocks: count, alignment: splitAlignment)) { _, rows in
                    // Row i of op(A) starts at column i of a transposed A, at row i of a plain one.
                    let aStart = transposeA ? rows.lowerBound : rows.lowerBound * lda
                    call(transposeA, transposeB, rows.count, n, k, alpha, a + aStart, lda, b, ldb,
                         beta, c + rows.lowerBound * ldc, ldc)
                }
            }
        }
    }

    @inline(__always)
    private func call(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                      _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        sgemmFunction(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                      blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                      beta, c, blasint(ldc))
    }

    /// Checks sgemm against a float64 triple loop on odd shapes in all four layouts.
    func verify() throws {
        var generator = SplitMix64(seed: 12345)
        for (m, n, k) in [(1, 1, 1), (7, 5, 3), (33, 17, 65), (65, 129, 31), (130, 67, 257)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = (0..<(m * k)).map { _ in Float(generator.nextUniform() * 2 - 1) }
                    let b = (0..<(k * n)).map { _ in Float(generator.nextUniform() * 2 - 1) }
                    var c = [Float](repeating: 0, count: m * n)
                    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                              a: pa.baseAddress!, lda: transposeA ? m : k,
                              b: pb.baseAddress!, ldb: transposeB ? k : n,
                              c: pc.baseAddress!, ldc: n)
                    } } }
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for p in 0..<k {
                                let av = transposeA ? a[p * m + i] : a[i * k + p]
                                let bv = transposeB ? b[j * k + p] : b[p * n + j]
                                sum += Double(av) * Double(bv)
                            }
                            if abs(Double(c[i * n + j]) - sum) > 1e-4 * Double(k) {
                                throw BLASError.wrongResults(kernel: kernel, shape: "\(m)x\(n)x\(k)",
                                                             transposeA: transposeA, transposeB: transposeB)
                            }
                        }
                    }
                }
            }
        }
    }
}

public enum BLASError: Error, CustomStringConvertible {
    case libraryNotFound(String)
    case missingSymbol(String, String)
    case wrongResults(kernel: String, shape: String, transposeA: Bool, transposeB: Bool)

    public var description: String {
        switch self {
        case .libraryNotFound(let why):
            return "cannot load OpenBLAS (\(why)); install it with `apt-get install -y libopenblas-dev`"
        case .missingSymbol(let symbol, let path):
            return "\(path) has no \(symbol); is it OpenBLAS?"
        case .wrongResults(let kernel, let shape, let ta, let tb):
            return "OpenBLAS kernel \(kernel) computes wrong sgemm results (m x n x k = \(shape), "
                + "transA \(ta), transB \(tb)); choose another kernel with OPENBLAS_CORETYPE (e.g. Haswell)"
        }
    }
}
