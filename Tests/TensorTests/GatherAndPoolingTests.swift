import XCTest
@testable import Tensor

final class GatherAndPoolingTests: XCTestCase {
    func testEmbeddingGatherAndScatterAddWithRepeatedIds() {
        let table = GradientCheck.random([6, 4], seed: 41)
        let ids: [Int32] = [3, 0, 3, 5, 3]
        GradientCheck().run([table], forward: { embedding(ids, table: $0[0]) }, reference: { (v: [[Double]]) -> [Double] in
            var out: [Double] = []
            for id in ids { for j in 0..<4 { out.append(v[0][Int(id) * 4 + j]) } }
            return out
        })
    }

    func testPaddingRowGetsNoGradient() {
        let table = GradientCheck.random([4, 3], seed: 45)
        let out = embedding([0, 2, 0, 1], table: table, paddingIndex: 0)
        out.backward(gradient: Tensor(shape: [4, 3], values: Array(repeating: 1, count: 12)))
        XCTAssertEqual(Array(table.grad!.values[0..<3]), [0, 0, 0], "padding row")
        XCTAssertEqual(Array(table.grad!.values[3..<9]), [1, 1, 1, 1, 1, 1])
    }

    func testMaskedMeanPool() {
        let x = GradientCheck.random([3, 4, 5], seed: 42)
        let maskValues: [Float] = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0]
        let mask = Tensor(shape: [3, 4], values: maskValues)
        GradientCheck().run([x], forward: { maskedMeanPool($0[0], mask: mask, batch: 3) }, reference: { v in
            var out: [Double] = []
            for s in 0..<3 {
                let kept: [Int] = (0..<4).filter { maskValues[s * 4 + $0] != 0 }
                for j in 0..<5 {
                    var sum = 0.0
                    for t in kept { sum += v[0][(s * 4 + t) * 5 + j] }
                    out.append(sum / Double(kept.count))
                }
            }
            return out
        })
    }

    func testSelectTokens() {
        let x = GradientCheck.random([3, 4, 2], seed: 43)
        let positions = [0, 2, 0]
        GradientCheck().run([x], forward: { selectTokens($0[0], positions: positions, batch: 3) }, reference: { (v: [[Double]]) -> [Double] in
            var out: [Double] = []
            for s in 0..<3 { for j in 0..<2 { out.append(v[0][(s * 4 + positions[s]) * 2 + j]) } }
            return out
        })
    }

    func testScatterRowsPlacesRowsAndGathersTheirGradient() {
        let x = GradientCheck.random([3, 2], seed: 47)
        let rows = [4, 0, 2]
        GradientCheck().run([x], forward: { scatterRows($0[0], to: rows, count: 6) }, reference: { (v: [[Double]]) -> [Double] in
            var out = [Double](repeating: 0, count: 12)
            for (i, row) in rows.enumerated() { for j in 0..<2 { out[row * 2 + j] = v[0][i * 2 + j] } }
            return out
        })
        // a second use adds to the gradient the first wrote
        let y = Tensor(shape: [1, 2], values: [1, 2], requiresGrad: true)
        add(scatterRows(y, to: [1], count: 2), scatterRows(y, to: [0], count: 2)).backward(gradient: Tensor(shape: [2, 2], values: [10, 20, 30, 40]))
        XCTAssertEqual(y.grad?.values, [40, 60])
    }

    func testGatherRowsInAnyOrderAddsRepeatedRowsGradients() {
        let x = GradientCheck.random([5, 3], seed: 48)
        let rows = [3, 0, 3, 4]
        GradientCheck().run([x], forward: { gatherRows($0[0], rows: rows) }, reference: { (v: [[Double]]) -> [Double] in
            rows.flatMap { row in (0..<3).map { v[0][row * 3 + $0] } }
        })
        // rows nobody reads get a zero gradient
        let y = GradientCheck.random([3, 2], seed: 49)
        gatherRows(y, rows: [2]).backward(gradient: Tensor(shape: [1, 2], values: [5, 7]))
        XCTAssertEqual(y.grad?.values, [0, 0, 0, 0, 5, 7])
    }

    func testReshapeTransposeAndSliceColumns() {
        let x = GradientCheck.random([2, 3, 4], seed: 44)
        GradientCheck().run([x], forward: { sliceColumns(transpose($0[0].reshaped([6, 4])), 1..<4) }, reference: { (v: [[Double]]) -> [Double] in
            // transpose of (6,4) is (4,6); keep columns 1..<4 of each of its 4 rows
            var out: [Double] = []
            for r in 0..<4 { for c in 1..<4 { out.append(v[0][c * 4 + r]) } }
            return out
        })
    }
}
