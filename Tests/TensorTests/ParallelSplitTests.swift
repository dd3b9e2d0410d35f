import XCTest
@testable import Tensor

/// The engine's one way of cutting work over threads. The edges are part of the results' bits
/// where a block's sum is its own (layer norm's partial dgamma and dbeta), so they are pinned here.
final class ParallelSplitTests: XCTestCase {
    func ranges(_ split: Parallel.Split) -> [Range<Int>] { (0..<split.blocks).map { split.range(ofBlock: $0) } }

    func testEvenBlocksAreCeilingSizedWithTheRemainderLast() {
        XCTAssertEqual(ranges(.even(10, blocks: 4)), [0..<3, 3..<6, 6..<9, 9..<10])
        XCTAssertEqual(ranges(.even(5, blocks: 4)), [0..<2, 2..<4, 4..<5, 5..<5])
        XCTAssertEqual(ranges(.even(8, blocks: 1)), [0..<8])
        XCTAssertEqual(ranges(.even(0, blocks: 2)), [0..<0, 0..<0])
    }

    func testAlignedEdgesAreTheNearestMultiples() {
        XCTAssertEqual(ranges(.aligned(2048, blocks: 2, alignment: 12)), [0..<1020, 1020..<2048])
        XCTAssertEqual(ranges(.aligned(1000, blocks: 3, alignment: 48)), [0..<336, 336..<672, 672..<1000])
        XCTAssertEqual(ranges(.aligned(10, blocks: 3, alignment: 1)), [0..<3, 3..<6, 6..<10])
    }

    func testBalancedRunsShareTheCost() {
        // one item costs as much as the other four together
        XCTAssertEqual(ranges(.balanced(costs: [4, 1, 1, 1, 1], blocks: 2)), [0..<1, 1..<5])
        XCTAssertEqual(ranges(.balanced(costs: [1, 1, 1, 1], blocks: 3)), [0..<2, 2..<3, 3..<4])
        // more blocks than items: the last ones empty
        XCTAssertEqual(ranges(.balanced(costs: [1, 1], blocks: 3)), [0..<1, 1..<2, 2..<2])
    }

    func testBlockCountKeepsTheMinimumPerThread() {
        XCTAssertEqual(Parallel.blockCount(100, minimumBlock: 30, threads: 8), 3)
        XCTAssertEqual(Parallel.blockCount(100, minimumBlock: 30, threads: 2), 2)
        XCTAssertEqual(Parallel.blockCount(10, minimumBlock: 30, threads: 8), 1)
        XCTAssertEqual(Parallel.blockCount(100, minimumBlock: 0, threads: 4), 4)
        XCTAssertEqual(Parallel.blockCount(0, minimumBlock: 1, threads: 4), 1)
    }

    /// Every item is visited once, by the block the split gives it; empty blocks are not called.
    func testForEachBlockVisitsEveryItemOnceInItsBlock() {
        for split in [Parallel.Split.even(1001, blocks: 7), .even(5, blocks: 4),
                      .aligned(1000, blocks: 3, alignment: 48), .balanced(costs: [9, 1, 1, 1, 9, 1], blocks: 4)] {
            let owner = UnsafeMutableBufferPointer<Int>.allocate(capacity: split.count)
            owner.initialize(repeating: -1)
            defer { owner.deallocate() }
            let calls = UnsafeMutableBufferPointer<Int>.allocate(capacity: split.blocks)
            calls.initialize(repeating: 0)
            defer { calls.deallocate() }
            Parallel.forEachBlock(split) { block, range in
                XCTAssertFalse(range.isEmpty)
                calls[block] += 1
                for item in range { owner[item] = owner[item] == -1 ? block : -2 }
            }
            for block in 0..<split.blocks {
                let range = split.range(ofBlock: block)
                XCTAssertEqual(calls[block], range.isEmpty ? 0 : 1, "block \(block)")
                for item in range { XCTAssertEqual(owner[item], block, "item \(item)") }
            }
            XCTAssertFalse(owner.contains(-1), "an item no block covered")
        }
    }
}
