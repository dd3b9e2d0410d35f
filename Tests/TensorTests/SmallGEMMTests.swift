import CKernels
import XCTest
@testable import Tensor

/// bk_small_gemm (CKernels/small_gemm.c), attention's per-pair products: against a float64
/// reference in every layout attention uses, on shapes with vector tiles, narrower tiles, row
/// remainders and scalar edge columns; and every target this CPU runs gives the same bits.
final class SmallGEMMTests: XCTestCase {
    func values(_ n: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(g.nextUniform() * 2 - 1) }
    }

    /// C = alpha·A·B (+ C0 when add), A(i, p) = a[i·aRow + p·aCol], B(p, j) = b[p·ldb + j], in Double.
    func reference(m: Int, n: Int, k: Int, alpha: Float, a: [Float], aRow: Int, aCol: Int,
                   b: [Float], ldb: Int, add: Bool, c0: [Float], ldc: Int) -> [Double] {
        var c = c0.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * aRow + p * aCol]) * Double(b[p * ldb + j]) }
                c[i * ldc + j] = Double(alpha) * sum + (add ? Double(c0[i * ldc + j]) : 0)
            }
        }
        return c
    }

    func testAgainstFloat64InEveryLayoutAndTheSameBitsOnEveryTarget() {
        // (m, n, k): full 8 x 32 tiles; 16-wide tiles and row remainders; edge columns only;
        // attention's own shapes at D = 32 and 64 with L = 128 and a ragged L
        let shapes = [(16, 64, 32), (13, 48, 7), (5, 9, 3), (1, 1, 1), (128, 128, 32), (37, 64, 37), (19, 8, 19)]
        let widest = Int(bk_small_gemm_widest_target())
        for (shapeIndex, (m, n, k)) in shapes.enumerated() {
            for transposedA in [false, true] {
                for add in [false, true] {
                    let seed = UInt64(shapeIndex * 4 + (transposedA ? 2 : 0) + (add ? 1 : 0))
                    // A (m, k) in a wider row (lda = k + 3), or its transpose stored (k, m + 2)
                    let (aRow, aCol, aCount) = transposedA ? (1, m + 2, k * (m + 2)) : (k + 3, 1, m * (k + 3))
                    let a = values(aCount, seed: 100 + seed), ldb = n + 5, b = values(k * ldb, seed: 200 + seed)
                    let ldc = n + 1, c0 = values(m * ldc, seed: 300 + seed)
                    let alpha: Float = 0.17677669
                    let expected = reference(m: m, n: n, k: k, alpha: alpha, a: a, aRow: aRow, aCol: aCol,
                                             b: b, ldb: ldb, add: add, c0: c0, ldc: ldc)
                    var results: [[Float]] = []
                    for target in 0...widest {
                        let pinned = PinnedArrays(), c = pinned.pin(c0)
                        bk_small_gemm_on(Int32(target), bk_small_gemm_args(
                            m: m, n: n, k: k, alpha: alpha, a: pinned.pin(a), a_row: aRow, a_col: aCol,
                            b: pinned.pin(b), ldb: ldb, beta: add ? 1 : 0, c: c, ldc: ldc))
                        results.append(pinned.read(c, count: c0.count))
                    }
                    let label = "\(m)x\(n)x\(k) transposedA \(transposedA) add \(add)"
                    for (index, value) in results[0].enumerated() {
                        XCTAssertEqual(Double(value), expected[index], accuracy: 1e-5 * Double(k).squareRoot(), "\(label) element \(index)")
                    }
                    for target in results.indices.dropFirst() {
                        XCTAssertEqual(results[target].map(\.bitPattern), results[0].map(\.bitPattern), "\(label): target \(target) differs from the scalar one")
                    }
                }
            }
        }
    }

    func testBetaZeroNeverReadsC() {
        let a = values(4 * 3, seed: 1), b = values(3 * 20, seed: 2)
        let pinned = PinnedArrays(), c = pinned.pin([Float](repeating: .nan, count: 4 * 20))
        bk_small_gemm(bk_small_gemm_args(m: 4, n: 20, k: 3, alpha: 1, a: pinned.pin(a), a_row: 3, a_col: 1,
                                         b: pinned.pin(b), ldb: 20, beta: 0, c: c, ldc: 20))
        XCTAssertTrue(pinned.read(c, count: 4 * 20).allSatisfy(\.isFinite))
    }

    func testTranspose() {
        for (rows, cols) in [(128, 32), (19, 64), (3, 5), (33, 1)] {
            let ld = cols + 7, input = values(rows * ld, seed: UInt64(rows))
            var out = [Float](repeating: .nan, count: rows * cols)
            bk_transpose(input, ld, rows, cols, &out)
            for i in 0..<rows {
                for j in 0..<cols { XCTAssertEqual(out[j * rows + i], input[i * ld + j], "(\(i), \(j)) of \(rows)x\(cols)") }
            }
        }
    }
}
