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

    func testAFreedBufferServesRequestsOfItsOwnSizeClass() {
        let first = BufferPool.allocate(bytes: 40 << 20)
        XCTAssertEqual(first.bytes, 40 << 20)
        BufferPool.release(first.pointer, bytes: first.bytes)
        let sameClass = BufferPool.allocate(bytes: (35 << 20) + 1)          // rounds up to 40 MiB
        XCTAssertEqual(sameClass.bytes, 40 << 20)
        XCTAssertEqual(sameClass.pointer, first.pointer, "a request of the same class reuses the freed buffer")
        BufferPool.release(sameClass.pointer, bytes: sameClass.bytes)
        let smaller = BufferPool.allocate(bytes: 30 << 20)
        XCTAssertEqual(smaller.bytes, 32 << 20)
        XCTAssertNotEqual(smaller.pointer, first.pointer, "a larger class is not lent to a smaller request")
        BufferPool.release(smaller.pointer, bytes: smaller.bytes)
    }
}
