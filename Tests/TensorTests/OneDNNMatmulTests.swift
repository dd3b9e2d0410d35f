import COneDNN
import XCTest
@testable import Tensor

/// oneDNN's bf16 matmul as BertKit calls it (Sources/COneDNN): every layout, leading dimensions
/// wider than the rows, alpha, beta 0 and 1, an empty sum, against a float64 product of the same
/// operands. The bf16 operands are exact in float64, so the only error allowed is float32
/// accumulation: k·2⁻²³·Σ|a||b| per element.
final class OneDNNMatmulTests: XCTestCase {
    private var oneDNN: OneDNN!

    override func setUpWithError() throws {
        // oneDNN is a test dependency (scripts/setup.sh installs it): its absence fails the test
        if let why = BF16Support.missingBF16Matmul(.current()) { throw XCTSkip(why) }
        oneDNN = try OneDNN.load()
    }

    /// Seeded values in [-2, 2), with a few exact zeros and large ones mixed in.
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E3779B97F4A7C15 | 1
        return (0..<count).map { index in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let x = Float(state >> 40) / Float(1 << 24) * 4 - 2
            return index % 17 == 0 ? 0 : (index % 23 == 0 ? x * 64 : x)
        }
    }

    private struct Layout: CustomStringConvertible {
        let transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, padA: Int, padB: Int, padC: Int
        var lda: Int { (transposeA ? m : k) + padA }
        var ldb: Int { (transposeB ? k : n) + padB }
        var ldc: Int { n + padC }
        var description: String { "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N") m \(m) n \(n) k \(k) lda \(lda) ldb \(ldb) ldc \(ldc)" }
        func a(_ i: Int, _ p: Int) -> Int { transposeA ? p * lda + i : i * lda + p }
        func b(_ p: Int, _ j: Int) -> Int { transposeB ? j * ldb + p : p * ldb + j }
    }

    private let layouts: [Layout] = [false, true].flatMap { ta in [false, true].flatMap { tb in [
        Layout(transposeA: ta, transposeB: tb, m: 37, n: 29, k: 45, padA: 0, padB: 0, padC: 0),
        Layout(transposeA: ta, transposeB: tb, m: 64, n: 96, k: 128, padA: 3, padB: 5, padC: 7),
        Layout(transposeA: ta, transposeB: tb, m: 1, n: 33, k: 7, padA: 1, padB: 0, padC: 2),
    ] } }

    /// Multiplies fresh operands for `layout` and checks C against float64 with `alpha`
    /// and `beta`; the padding between C's rows must be left alone. With `packedB` (made from
    /// the same B, `values(_, seed: 2)`), B is that packed copy. Returns C.
    @discardableResult
    private func check(_ layout: Layout, alpha: Float, beta: Float, packedB: OpaquePointer? = nil) -> [Float] {
        let (m, n, k) = (layout.m, layout.n, layout.k)
        let aCount = (layout.transposeA ? k : m) * layout.lda, bCount = (layout.transposeB ? n : k) * layout.ldb
        var a = values(aCount, seed: 1), b = values(bCount, seed: 2)
        let c0 = values(m * layout.ldc, seed: 3)
        var c = c0
        let aBits = a.map(BFloat16.round), bBits = b.map(BFloat16.round)
        (a, b) = (aBits.map(BFloat16.float), bBits.map(BFloat16.float))
        if let packedB {
            aBits.withUnsafeBufferPointer { aPointer in
                oneDNN.matmulBF16(transposeA: layout.transposeA, m: m, n: n, k: k, alpha: alpha, a: aPointer.baseAddress!,
                                  lda: layout.lda, packedB: packedB, beta: beta, c: &c, ldc: layout.ldc)
            }
        } else {
            oneDNN.matmulBF16(transposeA: layout.transposeA, transposeB: layout.transposeB, m: m, n: n, k: k, alpha: alpha,
                              a: aBits, lda: layout.lda, b: bBits, ldb: layout.ldb, beta: beta, c: &c, ldc: layout.ldc)
        }
        let what = "\(layout) alpha \(alpha) beta \(beta)\(packedB == nil ? "" : ", B packed")"
        for i in 0..<m {
            for j in 0..<layout.ldc {
                let index = i * layout.ldc + j
                if j >= n {
                    XCTAssertEqual(c[index].bitPattern, c0[index].bitPattern, "\(what): padding C[\(i), \(j)] written")
                    continue
                }
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let product = Double(a[layout.a(i, p)]) * Double(b[layout.b(p, j)])
                    sum += product
                    magnitude += abs(product)
                }
                let expected = Double(alpha) * sum + Double(beta) * Double(c0[index])
                let bound = Double(k + 2) * pow(2, -23) * (abs(Double(alpha)) * magnitude + abs(Double(c0[index])))
                if abs(Double(c[index]) - expected) > bound {
                    XCTFail("\(what): C[\(i), \(j)] = \(c[index]), float64 \(expected) (bound \(bound))")
                    return c
                }
            }
        }
        return c
    }

    func testBF16MatmulInEveryLayoutWithAlphaAndBeta() {
        for layout in layouts {
            for (alpha, beta) in [(Float(1), Float(0)), (0.125, 0), (1, 1), (-0.5, 1)] {
                check(layout, alpha: alpha, beta: beta)
            }
        }
    }

    /// k = 0 is an empty sum: beta 0 writes zeros, beta 1 leaves C as it was.
    func testAnEmptySumSetsCToBetaTimesC() {
        let a: [UInt16] = [0], b: [UInt16] = [0]
        var c: [Float] = [3, -1, 7, 2, 5, 9]
        oneDNN.matmulBF16(transposeA: false, transposeB: false, m: 2, n: 3, k: 0, a: a, lda: 1, b: b, ldb: 3, beta: 1, c: &c, ldc: 3)
        XCTAssertEqual(c, [3, -1, 7, 2, 5, 9])
        oneDNN.matmulBF16(transposeA: false, transposeB: false, m: 2, n: 3, k: 0, a: a, lda: 1, b: b, ldb: 3, beta: 0, c: &c, ldc: 3)
        XCTAssertEqual(c, [0, 0, 0, 0, 0, 0])
    }

    /// The same shape called again reuses its primitive and gives the same bits.
    func testRepeatedCallsAreDeterministic() {
        let layout = layouts[4]
        let a = values(layout.m * layout.lda, seed: 5).map(BFloat16.round)
        let b = values(layout.k * layout.ldb, seed: 6).map(BFloat16.round)
        var first = [Float](repeating: 0, count: layout.m * layout.ldc), second = first
        for c in [0, 1] {
            var out = [Float](repeating: 0, count: layout.m * layout.ldc)
            oneDNN.matmulBF16(transposeA: layout.transposeA, transposeB: layout.transposeB, m: layout.m, n: layout.n, k: layout.k,
                              a: a, lda: layout.lda, b: b, ldb: layout.ldb, c: &out, ldc: layout.ldc)
            if c == 0 { first = out } else { second = out }
        }
        XCTAssertEqual(first.map(\.bitPattern), second.map(\.bitPattern))
    }

    /// Each product runs on as many OpenMP threads as `Parallel.threadCount` holds at the call,
    /// not as it held when the library loaded: a task's `threads` or a rank's share of the cores
    /// is set after the bf16 check has loaded oneDNN. Where the environment sets
    /// OMP_NUM_THREADS, that count is kept. Counts above the cores (3) are allowed to OpenMP.
    func testProductsRunOnTheEngineThreadCountAtTheCall() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let fromEnvironment = oneDNN.threadsFromEnvironment
            ? ProcessInfo.processInfo.environment["OMP_NUM_THREADS"].flatMap { Int($0.split(separator: ",").first ?? "") }
            : nil
        for threads in [1, 3, 2, 1] {
            Parallel.threadCount = threads
            check(layouts[1], alpha: 1, beta: 0)
            XCTAssertEqual(Int(bk_onednn_last_product_threads()), fromEnvironment ?? threads,
                           "a product with Parallel.threadCount \(threads)")
        }
    }

    /// A packed B (a weight matrix reordered once into oneDNN's layout) gives a product within
    /// the same bound, in every layout, with alpha and beta, for products of other row counts
    /// that share the one packed copy (those past 64 rows computed in pieces), and the same bits
    /// when a product is repeated. (It gives the plain B's bits too except where oneDNN picks
    /// another kernel for the plain one: one row, k 128.)
    func testAPackedBGivesTheProductInEveryLayout() throws {
        // the engine packs bf16 weights only on CPUs with bf16 units (elsewhere B stays plain)
        try XCTSkipUnless(BF16Support.hasBF16Units(.current()),
                          "this CPU has neither avx512_bf16 nor amx_bf16: oneDNN packs bf16 weights only for its bf16 kernels")
        for layout in layouts {
            let bCount = (layout.transposeB ? layout.n : layout.k) * layout.ldb
            let b = values(bCount, seed: 2).map(BFloat16.round)
            try b.withUnsafeBufferPointer { bPointer in
                let packed = try XCTUnwrap(bk_onednn_packed_b_create(layout.transposeB ? 1 : 0, layout.n, layout.k, bPointer.baseAddress, layout.ldb))
                defer { bk_onednn_packed_b_destroy(packed) }
                // 71 and 325 rows run in pieces (64 + 7; 256 + 64 + 5)
                for m in [layout.m, 1, 25, 71, 325] {
                    let rows = Layout(transposeA: layout.transposeA, transposeB: layout.transposeB, m: m, n: layout.n, k: layout.k,
                                      padA: layout.padA, padB: layout.padB, padC: layout.padC)
                    for (alpha, beta) in [(Float(1), Float(0)), (-0.5, 1)] {
                        let first = check(rows, alpha: alpha, beta: beta, packedB: packed)
                        let again = check(rows, alpha: alpha, beta: beta, packedB: packed)
                        XCTAssertEqual(first.map(\.bitPattern), again.map(\.bitPattern), "\(rows): a repeated product changed")
                    }
                }
            }
        }
    }

    func testTheImplementationIsNamedAndTheVersionIsTwoPointSomething() {
        let name = oneDNN.implementation(transposeA: false, transposeB: true, m: 128, n: 256, k: 64)
        XCTAssertNotEqual(name, "unavailable")
        XCTAssertFalse(name.isEmpty)
        XCTAssertTrue(oneDNN.version.hasPrefix("2."), "oneDNN \(oneDNN.version): BertKit calls the 2.x C API")
        print("oneDNN \(oneDNN.version), bf16 128x256x64 N,T: \(name)")
    }
}
