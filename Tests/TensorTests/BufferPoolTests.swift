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

    /// A pool of its own (8 MiB capacity), so the policy is tested apart from the process's pool.
    func testEvictionFreesTheClassAskedForLongestAgoFirst() {
        let mib = 1 << 20
        let pool = BufferPool.Pool(minimumCapacityBytes: 8 * mib)
        let old = pool.allocate(bytes: 3 * mib)           // a size of an earlier phase
        pool.release(old.pointer, bytes: old.bytes)
        let recent = pool.allocate(bytes: 2 * mib)        // a size this phase uses again
        pool.release(recent.pointer, bytes: recent.bytes)
        XCTAssertEqual(pool.pooledBytes, 5 * mib)
        // a new 5 MiB buffer: 5 in use + 5 pooled exceeds the 8 MiB limit, so 3 MiB must go
        let large = pool.allocate(bytes: 5 * mib)
        XCTAssertEqual(pool.pooledBytes, 2 * mib, "the 3 MiB class (asked for first) was freed, the 2 MiB kept")
        XCTAssertLessThanOrEqual(pool.inUseBytes + pool.pooledBytes, pool.limitBytes)
        let again = pool.allocate(bytes: 2 * mib)
        XCTAssertEqual(again.pointer, recent.pointer, "the recently used class still serves its requests")
        pool.release(again.pointer, bytes: again.bytes)
        pool.release(large.pointer, bytes: large.bytes)
        XCTAssertEqual(pool.inUseBytes, 0)
        XCTAssertEqual(pool.pooledBytes, 7 * mib, "both buffers of this phase kept, within the limit")
    }

    /// A pool that goes away gives back what it holds (LeakSanitizer found a test's pool leaking
    /// its buffers), and not the buffers still in use, which their owners release.
    func testAPoolThatGoesAwayGivesBackTheBuffersItHolds() {
        final class GivenBack: @unchecked Sendable {  // written by the pool on this thread only
            var pointers: [UnsafeMutableRawPointer] = []
        }
        let mib = 1 << 20
        let givenBack = GivenBack()
        let inUse: (pointer: UnsafeMutableRawPointer, bytes: Int)
        var held: [UnsafeMutableRawPointer] = []
        do {
            let pool = BufferPool.Pool(minimumCapacityBytes: 64 * mib) { givenBack.pointers.append($0) }
            let first = pool.allocate(bytes: 2 * mib), second = pool.allocate(bytes: 3 * mib)
            inUse = pool.allocate(bytes: 4 * mib)
            pool.release(first.pointer, bytes: first.bytes)
            pool.release(second.pointer, bytes: second.bytes)
            held = [first.pointer, second.pointer]
            XCTAssertTrue(givenBack.pointers.isEmpty, "a released buffer that fits stays in the pool")
            XCTAssertEqual(pool.pooledBytes, 5 * mib)  // the pool's last use: it goes away here
        }
        XCTAssertEqual(Set(givenBack.pointers), Set(held), "the pool's own buffers, once each")
        XCTAssertEqual(givenBack.pointers.count, 2)
        inUse.pointer.deallocate()
        for pointer in held { pointer.deallocate() }  // the counting pool only recorded them
    }

    /// Threads taking and giving back buffers at once (the engine's workers, a server's requests
    /// beside a training step): a buffer is lent to one holder at a time, and every byte lent
    /// comes back. (`scripts/sanitize.sh thread` runs this under ThreadSanitizer.)
    func testThreadsSharingAPoolEachHoldTheirOwnBuffers() {
        let mib = 1 << 20
        let pool = BufferPool.Pool(minimumCapacityBytes: 16 * mib)
        let threads = 4, rounds = 300
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for round in 0..<rounds {
                // three size classes, so that threads reuse each other's buffers and evict
                let buffer = pool.allocate(bytes: (1 + (thread + round) % 3) * mib)
                let words = buffer.pointer.assumingMemoryBound(to: Int.self)
                let last = buffer.bytes / MemoryLayout<Int>.stride - 1
                let tag = thread * rounds + round
                words[0] = tag
                words[last] = tag
                sched_yield()  // another holder of the same buffer would now overwrite the tags
                XCTAssertEqual(words[0], tag, "thread \(thread), round \(round)")
                XCTAssertEqual(words[last], tag, "thread \(thread), round \(round)")
                pool.release(buffer.pointer, bytes: buffer.bytes)
            }
        }
        XCTAssertEqual(pool.inUseBytes, 0)
        XCTAssertLessThanOrEqual(pool.pooledBytes, pool.limitBytes)
    }
}
