import Foundation
import XCTest
@testable import Tensor

/// The graph's recording flag, the GEMM precision and the bf16 weight scope are each thread's
/// own: two threads that overlap in time, one inside `noGrad` (or bf16) and one training in fp32,
/// each see their own.
final class ThreadStateTests: XCTestCase {
    /// A value the two threads share or report back: a tensor both use (only through the
    /// engine, which is what the test checks), or what one thread saw, read by the test after
    /// both have signalled `done` (the semaphore orders the write before the read). Unchecked
    /// for those reasons.
    final class Seen<Value>: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Runs `first` and `second` on two threads, each stopping midway until the other has
    /// reached its midpoint too, so that each one's second half runs while the other is inside
    /// its scope.
    private func overlapping(_ first: @escaping @Sendable (_ meet: () -> Void) -> Void,
                             _ second: @escaping @Sendable (_ meet: () -> Void) -> Void) {
        let arrived = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            first { arrived.0.signal(); arrived.1.wait() }
            done.signal()
        }
        Thread.detachNewThread {
            second { arrived.1.signal(); arrived.0.wait() }
            done.signal()
        }
        done.wait()
        done.wait()
    }

    func testNoGradOnOneThreadLeavesAnotherThreadRecording() {
        let x = Seen(Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true))  // both threads use it
        let inference = Seen((recording: true, recorded: true))
        let training = Seen((recording: false, recorded: false))
        overlapping({ meet in
            Autograd.noGrad {
                meet()  // the other thread now builds its graph while this one is inside noGrad
                let y = gelu(x.value)
                inference.value = (Autograd.isRecording, y.node != nil)
            }
        }, { meet in
            meet()
            let y = scale(x.value, by: 3)
            training.value = (Autograd.isRecording, y.node != nil)
            y.backward(gradient: Tensor(shape: [2, 2], values: [1, 1, 1, 1]))
        })
        XCTAssertFalse(inference.value.recording, "inside noGrad")
        XCTAssertFalse(inference.value.recorded, "an op inside noGrad records no node")
        XCTAssertTrue(training.value.recording, "the other thread's noGrad must not switch this thread's recording off")
        XCTAssertTrue(training.value.recorded, "an op of the training thread records its node")
        XCTAssertEqual(x.value.grad?.values, [3, 3, 3, 3], "the training thread's graph reached the parameter")
        XCTAssertTrue(Autograd.isRecording, "the test's own thread is untouched")
    }

    func testPrecisionIsEachThreadsOwn() {
        let seen = Seen((bf16Thread: Precision.fp32, fp32Thread: Precision.bf16))
        overlapping({ meet in
            Precision.bf16.run {
                meet()
                seen.value.bf16Thread = Precision.current
            }
        }, { meet in
            meet()
            seen.value.fp32Thread = Precision.current
        })
        XCTAssertEqual(seen.value.bf16Thread, .bf16)
        XCTAssertEqual(seen.value.fp32Thread, .fp32, "another thread's Precision.run must not change this thread's GEMMs")
        XCTAssertEqual(Precision.current, .fp32)
    }

    func testWeightScopeIsEachThreadsOwn() {
        let w = Seen(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true))
        let reused = Seen(false), reusedOutsideScope = Seen(true)
        overlapping({ meet in
            BF16Weights.reusingConversions {
                let first = BF16Weights.matrix(of: [w.value])
                meet()
                reused.value = BF16Weights.matrix(of: [w.value]) === first
            }
        }, { meet in
            meet()
            // no scope on this thread: each call makes its own copy
            reusedOutsideScope.value = BF16Weights.matrix(of: [w.value]) === BF16Weights.matrix(of: [w.value])
        })
        XCTAssertTrue(reused.value, "inside its scope a thread reuses its copy")
        XCTAssertFalse(reusedOutsideScope.value, "another thread's scope must not serve this thread")
    }
}
