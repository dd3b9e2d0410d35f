import XCTest
@testable import Tensor

/// The engine's GEMM threading: large GEMMs cut into blocks of rows of C, one single-threaded
/// OpenBLAS call per thread. The blocks must give the bits of one call, in every layout.
final class GemmSplitTests: XCTestCase {
    /// The row ranges of the blocks the plan cuts C into (nil when it does not cut).
    func blockRows(m: Int, n: Int, k: Int, threads: Int, alignment: Int = 48) -> [Range<Int>]? {
        guard case .rowBlocks(let count) = GemmSplit.plan(m: m, n: n, k: k, threads: threads, alignment: alignment) else {
            return nil
        }
        let split = Parallel.Split.aligned(m, blocks: count, alignment: alignment)
        return (0..<count).map { split.range(ofBlock: $0) }
    }

    func testAlignmentFollowsTheKernelsTiles() {
        XCTAssertEqual(GemmSplit.alignment(forKernel: "Cooperlake"), 16)
        XCTAssertEqual(GemmSplit.alignment(forKernel: "SkylakeX"), 16)
        XCTAssertEqual(GemmSplit.alignment(forKernel: "Haswell"), 12)
        XCTAssertEqual(GemmSplit.alignment(forKernel: "Zen"), 12)
        XCTAssertEqual(GemmSplit.alignment(forKernel: "Prescott"), 48)
        // 16 halves a training batch's 2,048 rows and an inference batch's 4,096 exactly; 12 nearly
        XCTAssertEqual(blockRows(m: 2048, n: 1536, k: 384, threads: 2, alignment: 16), [0..<1024, 1024..<2048])
        XCTAssertEqual(blockRows(m: 4096, n: 384, k: 384, threads: 2, alignment: 16), [0..<2048, 2048..<4096])
        XCTAssertEqual(blockRows(m: 2048, n: 1536, k: 384, threads: 2, alignment: 12), [0..<1020, 1020..<2048])
    }

    func testPlanCutsTallGEMMsByRowsAtAlignedEdges() {
        // The forward x·Wᵀ of a 16 x 128 batch: two halves, the edge on a multiple of 48.
        XCTAssertEqual(blockRows(m: 2048, n: 1536, k: 384, threads: 2), [0..<1008, 1008..<2048])
        // A padded fine-tuning batch (32 x 47 tokens).
        XCTAssertEqual(blockRows(m: 1504, n: 384, k: 384, threads: 2), [0..<768, 768..<1504])
        // Three threads: the blocks tile the rows.
        XCTAssertEqual(blockRows(m: 1000, n: 300, k: 64, threads: 3), [0..<336, 336..<672, 672..<1000])
        // A weight gradient dyᵀ·x (k = tokens) with many rows: the intermediate layer's 1536 x 384.
        XCTAssertEqual(blockRows(m: 1536, n: 384, k: 2048, threads: 2), [0..<768, 768..<1536])
    }

    func testPlanLeavesSmallAndShortGEMMsWhole() {
        XCTAssertEqual(GemmSplit.plan(m: 2048, n: 1536, k: 384, threads: 1, alignment: 48), .callingThread)
        XCTAssertEqual(GemmSplit.plan(m: 32, n: 2, k: 384, threads: 2, alignment: 48), .callingThread)
        // Batch-1 inference (128 rows) and a 384-row weight gradient: one call threaded by the library.
        XCTAssertEqual(GemmSplit.plan(m: 128, n: 1536, k: 384, threads: 2, alignment: 48), .library)
        XCTAssertEqual(GemmSplit.plan(m: 384, n: 1536, k: 2048, threads: 2, alignment: 48), .library)
    }

    /// Blocks against one single-threaded call of the same library: the same bits, in all four
    /// layouts, with alpha, beta and leading dimensions wider than the matrices, at the live
    /// kernel's alignment (2,048 rows cut at 1,024 by Cooperlake and SkylakeX, at 1,020 by Haswell).
    func testBlocksGiveTheBitsOfOneCall() {
        let blas = OpenBLAS.shared
        let savedThreads = blas.threads, savedThreading = blas.threading
        defer { blas.threads = savedThreads; blas.threading = savedThreading }
        var generator = SplitMix64(seed: 2026)
        let shapes = [(m: 2048, n: 384, k: 384), (m: 1504, n: 1152, k: 384), (m: 1000, n: 77, k: 333),
                      (m: 640, n: 1536, k: 640), (m: 1536, n: 384, k: 640), (m: 700, n: 515, k: 129)]
        for (m, n, k) in shapes {
            guard case .rowBlocks = GemmSplit.plan(m: m, n: n, k: k, threads: 2, alignment: blas.splitAlignment) else {
                XCTFail("\(m)x\(n)x\(k) should be cut into blocks: the test would compare one call with itself")
                continue
            }
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    // Row-major storage with 3 spare columns in every matrix.
                    let aRows = transposeA ? k : m, aColumns = transposeA ? m : k
                    let bRows = transposeB ? n : k, bColumns = transposeB ? k : n
                    let lda = aColumns + 3, ldb = bColumns + 3, ldc = n + 3
                    let a = (0..<(aRows * lda)).map { _ in Float(generator.nextUniform() * 2 - 1) }
                    let b = (0..<(bRows * ldb)).map { _ in Float(generator.nextUniform() * 2 - 1) }
                    let c0 = (0..<(m * ldc)).map { _ in Float(generator.nextUniform() * 2 - 1) }
                    func run(_ threading: GemmThreading, threads: Int) -> [Float] {
                        blas.threading = threading
                        blas.threads = threads
                        var c = c0
                        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                            blas.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.75,
                                       a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                       beta: 0.5, c: pc.baseAddress!, ldc: ldc)
                        } } }
                        return c
                    }
                    let split = run(.split, threads: 2)
                    let one = run(.library, threads: 1)
                    let label = "\(m)x\(n)x\(k) transA \(transposeA) transB \(transposeB) (kernel \(blas.kernel))"
                    let differing = split.indices.filter { split[$0].bitPattern != one[$0].bitPattern }
                    XCTAssertTrue(differing.isEmpty, "\(label): \(differing.count) elements differ, the first at row "
                                  + "\(differing.first.map { $0 / ldc } ?? -1) column \(differing.first.map { $0 % ldc } ?? -1)")
                    // Not vacuous: the spare columns are untouched, and C is the product at two places
                    // (against a float64 sum).
                    for row in 0..<m {
                        for spare in n..<ldc { XCTAssertEqual(split[row * ldc + spare], c0[row * ldc + spare], label) }
                    }
                    for (i, j) in [(0, 0), (m - 1, n - 1)] {
                        var sum = 0.0
                        for p in 0..<k {
                            let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                            let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                            sum += Double(av) * Double(bv)
                        }
                        let expected = 0.75 * sum + 0.5 * Double(c0[i * ldc + j])
                        XCTAssertEqual(Double(split[i * ldc + j]), expected, accuracy: 1e-4 * Double(k), label)
                    }
                }
            }
        }
    }
}
