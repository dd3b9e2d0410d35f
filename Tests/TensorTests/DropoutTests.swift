import XCTest
@testable import Tensor

final class DropoutTests: XCTestCase {
    func testInvertedScalingAndKeepRate() {
        let x = Tensor(zeros: [100_000]); x.fill(1)
        var stream = RandomStream(key: 42)
        let y = dropout(x, probability: 0.1, training: true, stream: &stream)
        let kept = y.values.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.9) < 1e-6 }, "kept values are scaled by 1/(1-p)")
        // Binomial(100000, 0.9): standard deviation ~95, so 5 sigma is ~475.
        XCTAssertEqual(Double(kept.count), 90_000, accuracy: 475)
    }

    func testEvalModeIsIdentity() {
        let x = GradientCheck.random([10], seed: 61)
        var stream = RandomStream(key: 1)
        let y = dropout(x, probability: 0.5, training: false, stream: &stream)
        XCTAssertTrue(y === x)
        XCTAssertEqual(stream.counter, 0, "eval mode draws nothing")
    }

    func testSameSeedSameMaskOtherSeedOtherMask() {
        let x = GradientCheck.random([257], seed: 62, requiresGrad: false)
        var s1 = RandomStream(key: 7), s2 = RandomStream(key: 7), s3 = RandomStream(key: 8)
        let a = dropout(x, probability: 0.5, training: true, stream: &s1).values
        let b = dropout(x, probability: 0.5, training: true, stream: &s2).values
        let c = dropout(x, probability: 0.5, training: true, stream: &s3).values
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    func testBackwardUsesTheForwardMask() {
        let x = GradientCheck.random([3, 7], seed: 63)
        var stream = RandomStream(key: 5, counter: 3)
        let start = stream.counter
        GradientCheck().run([x], forward: { dropout($0[0], probability: 0.4, training: true, stream: &stream) }, reference: { v in
            v[0].enumerated().map { $0.element * Double(dropoutFactor(key: 5, start: start, index: $0.offset, probability: 0.4)) }
        })
    }

    func testThreadedMaskEqualsSingleThreaded() {
        let x = Tensor(zeros: [50_001]); x.fill(1)
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        var s1 = RandomStream(key: 3)
        let single = dropout(x, probability: 0.2, training: true, stream: &s1).values
        Parallel.threadCount = 2
        var s2 = RandomStream(key: 3)
        let threaded = dropout(x, probability: 0.2, training: true, stream: &s2).values
        XCTAssertEqual(single, threaded)
    }
}
