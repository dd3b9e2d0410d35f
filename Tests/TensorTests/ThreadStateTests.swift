import Foundation
import XCTest
@testable import Tensor

/// The graph's recording flag, the GEMM precision and the bf16 weight scope are each thread's
/// own: two threads that overlap in time, one inside `noGrad` (or bf16) and one training in fp32,
/// each see their own.
final class ThreadStateTests: XCTestCase {
    /// Runs `first` and `second` on two threads, each stopping midway until the other has
    /// reached its midpoint too, so that each one's second half runs while the other is inside
    /// its scope.
    private func overlapping(_ first: @escaping (_ meet: () -> Void) -> Void,
                             _ second: @escaping (_ meet: () -> Void) -> Void) {
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
        let x = Tensor(shape: [2, 2], values: [1, 2, 3, 4], requiresGrad: true)
        var inference: (recording: Bool, recorded: Bool) = (true, true)
        var training: (recording: Bool, recorded: Bool) = (false, false)
        overlapping({ meet in
            Autograd.noGrad {
                meet()  // the other thread now builds its graph while this one is inside noGrad
                let y = gelu(x)
                inference = (Autograd.isRecording, y.node != nil)
            }
        }, { meet in
            meet()
            let y = scale(x, by: 3)
            training = (Autograd.isRecording, y.node != nil)
            y.backward(gradient: Tensor(shape: [2, 2], values: [1, 1, 1, 1]))
        })
        XCTAssertFalse(inference.recording, "inside noGrad")
        XCTAssertFalse(inference.recorded, "an op inside noGrad records no node")
        XCTAssertTrue(training.recording, "the other thread's noGrad must not switch this thread's recording off")
        XCTAssertTrue(training.recorded, "an op of the training thread records its node")
        XCTAssertEqual(x.grad?.values, [3, 3, 3, 3], "the training thread's graph reached the parameter")
        XCTAssertTrue(Autograd.isRecording, "the test's own thread is untouched")
    }

    func testPrecisionIsEachThreadsOwn() {
        var seen: (bf16Thread: Precision, fp32Thread: Precision) = (.fp32, .bf16)
        overlapping({ meet in
            Precision.bf16.run {
                meet()
                seen.bf16Thread = Precision.current
            }
        }, { meet in
            meet()
            seen.fp32Thread = Precision.current
        })
        XCTAssertEqual(seen.bf16Thread, .bf16)
        XCTAssertEqual(seen.fp32Thread, .fp32, "another thread's Precision.run must not change this thread's GEMMs")
        XCTAssertEqual(Precision.current, .fp32)
    }

    func testWeightScopeIsEachThreadsOwn() {
        let w = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        var reused = false, reusedOutsideScope = true
        overlapping({ meet in
            BF16Weights.reusingConversions {
                let first = BF16Weights.matrix(of: [w])
                meet()
                reused = BF16Weights.matrix(of: [w]) === first
            }
        }, { meet in
            meet()
            // no scope on this thread: each call makes its own copy
            reusedOutsideScope = BF16Weights.matrix(of: [w]) === BF16Weights.matrix(of: [w])
        })
        XCTAssertTrue(reused, "inside its scope a thread reuses its copy")
        XCTAssertFalse(reusedOutsideScope, "another thread's scope must not serve this thread")
    }
}
