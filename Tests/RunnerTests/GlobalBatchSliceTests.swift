import XCTest
@testable import Runner

/// How a global batch is shared by the ranks: consecutive slices that together are the batch,
/// in order, the first ranks taking one more when it does not divide evenly.
final class GlobalBatchSliceTests: XCTestCase {
    func testSlicesCoverTheBatchInOrder() {
        for size in 1...5 {
            for count in 0...13 {
                let global = (0..<count).map { 100 + $0 * 3 }
                let slices = (0..<size).map { Trainer.slice(global, rank: $0, of: size) }
                XCTAssertEqual(Array(slices.joined()), global, "\(count) features on \(size) ranks")
                let sizes = slices.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
                XCTAssertEqual(sizes, sizes.sorted(by: >), "the first ranks take the extra features")
            }
        }
        XCTAssertEqual(Trainer.slice(Array(0..<16), rank: 1, of: 2), Array(8..<16))
        XCTAssertEqual(Trainer.slice([7], rank: 1, of: 2), [])
    }
}
