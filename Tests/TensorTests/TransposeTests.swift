import CKernels
import XCTest

/// bk_transpose and bk_copy_block (CKernels/transpose.c), which lay out K and V transposed and
/// pack attention's strided (L, D) blocks for its products: every element lands in its place,
/// in 8 x 8 blocks and on the ragged edges, with the vector path and the element-by-element one.
final class TransposeTests: XCTestCase {
    func testEveryElementInPlaceOnBothPaths() {
        // (rows, cols, row stride): whole 8 x 8 blocks (attention's L = 128, D = 32, in a q|k|v
        // row), ragged rows and columns, fewer than 8 of either, a single element
        let shapes = [(128, 32, 3 * 384), (128, 64, 64), (37, 19, 23), (5, 3, 3), (8, 13, 16), (1, 1, 1)]
        let paths: [Int32] = bk_transpose_can_vectorise() != 0 ? [0, 1] : [0]
        for (rows, cols, ld) in shapes {
            let input = (0..<(rows * ld)).map { Float($0) * 0.5 - 7 }
            for vectorised in paths {
                var out = [Float](repeating: .nan, count: rows * cols)
                bk_transpose_on(vectorised, input, ld, rows, cols, &out)
                for i in 0..<rows {
                    for j in 0..<cols where out[j * rows + i] != input[i * ld + j] {
                        XCTFail("\(rows)x\(cols) (stride \(ld)), path \(vectorised): out[\(j)][\(i)] = \(out[j * rows + i]), want \(input[i * ld + j])")
                        return
                    }
                }
            }
        }
    }

    func testBlockCopyPacksEveryRowAndWritesNothingElse() {
        for (rows, cols, ld) in [(128, 32, 3 * 384), (128, 64, 768), (7, 5, 9), (1, 1, 1), (3, 4, 4)] {
            let input = (0..<(rows * ld)).map { Float($0) * 0.25 + 3 }
            // one guard element past the block must stay untouched
            var out = [Float](repeating: .nan, count: rows * cols + 1)
            out[rows * cols] = -1
            bk_copy_block(input, ld, rows, cols, &out)
            for i in 0..<rows {
                for j in 0..<cols where out[i * cols + j] != input[i * ld + j] {
                    XCTFail("\(rows)x\(cols) (stride \(ld)): out[\(i)][\(j)] = \(out[i * cols + j]), want \(input[i * ld + j])")
                    return
                }
            }
            XCTAssertEqual(out[rows * cols], -1, "\(rows)x\(cols): wrote past the block")
        }
    }
}
