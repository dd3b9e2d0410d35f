import XCTest
@testable import Tensor

final class BufferPoolTests: XCTestCase {
    func testSizeClassesRoundUpByAtMostAQuarter() {
        XCTAssertEqual(BufferPool.sizeClass(1000), 1000, "small requests are not rounded")
        XCTAssertEqual(BufferPool.sizeClass(1 << 20), 1 << 20)
        XCTAssertEqual(BufferPool.sizeClass((1 << 20) + 1), 5 << 18)      // 1.25 MiB
        XCTAssertEqual(BufferPool.sizeClass(6 << 20), 6 << 20, "bert-base's (2048, 768) floats: exact")
        XCTAssertEqual(BufferPool.sizeClass(7 << 20), 7 << 20)
        XCTAssertEqual(BufferPool.sizeClass((7 << 20) + 1), 8 << 20)
        for bytes in stride(from: 1 << 20, through: 1 << 28, by: 12_345_67) {
            let size = BufferPool.sizeClass(bytes)
            XCTAssertGreaterThanOrEqual(size, bytes)
            XCTAssertLessThanOrEqual(Double(size), Double(bytes) * 1.25)
            XCTAssertEqual(BufferPool.sizeClass(size), size, "a class is its own class")
        }
    }

    func testAFreedBufferServesASmallerRequestOfUpToHalfItsSize() {
        let big = BufferPool.allocate(bytes: 40 << 20)
        BufferPool.release(big.pointer, bytes: big.bytes)
        let smaller = BufferPool.allocate(bytes: 30 << 20)
        XCTAssertEqual(smaller.pointer, big.pointer, "30 MiB reuses the freed 40 MiB buffer")
        XCTAssertEqual(smaller.bytes, big.bytes, "and is released as what it is")
        BufferPool.release(smaller.pointer, bytes: smaller.bytes)
        let tiny = BufferPool.allocate(bytes: 3 << 20)
        XCTAssertNotEqual(tiny.pointer, big.pointer, "a buffer over twice the request is not handed out")
        BufferPool.release(tiny.pointer, bytes: tiny.bytes)
    }
}
