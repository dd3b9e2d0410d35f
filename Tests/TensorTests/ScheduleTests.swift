import XCTest
@testable import Tensor

/// LinearSchedule against values worked out by hand from transformers'
/// get_linear_schedule_with_warmup + LambdaLR (lr for step s = base * lambda(s)).
final class ScheduleTests: XCTestCase {
    func testWarmupThenLinearDecay() {
        // base 0.1, 10 steps, warmup 4: 0, .025, .05, .075, then 0.1 * (10 - s) / 6 down to 0.
        let schedule = LinearSchedule(baseLearningRate: 0.1, totalSteps: 10, warmup: .steps(4))
        let expected: [Double] = [0, 0.025, 0.05, 0.075, 0.1, 0.1 * 5 / 6, 0.1 * 4 / 6, 0.05, 0.1 / 3, 0.1 / 6, 0, 0, 0]
        for (step, value) in expected.enumerated() {
            XCTAssertEqual(schedule.learningRate(atStep: step), value, accuracy: 1e-15, "step \(step)")
        }
        XCTAssertEqual(schedule.learningRate(atStep: 2), 0.05)          // 0.1 * 0.5: exact
        XCTAssertEqual(schedule.learningRate(atStep: 4), 0.1)           // 0.1 * (6 / 6): exact
    }

    func testNoWarmupStartsAtTheBaseRate() {
        let schedule = LinearSchedule(baseLearningRate: 5e-5, totalSteps: 4)
        XCTAssertEqual(schedule.warmupSteps, 0)
        XCTAssertEqual(schedule.learningRate(atStep: 0), 5e-5)
        XCTAssertEqual(schedule.learningRate(atStep: 2), 2.5e-5)
        XCTAssertEqual(schedule.learningRate(atStep: 4), 0)
    }

    func testWarmupRatioRoundsUpLikeTheTrainer() {
        // ceil(total * ratio) in Double: 100 * 0.07 = 7.000000000000001 -> 8 (as in Python).
        XCTAssertEqual(LinearSchedule(baseLearningRate: 1, totalSteps: 100, warmup: .ratio(0.07)).warmupSteps, 8)
        XCTAssertEqual(LinearSchedule(baseLearningRate: 1, totalSteps: 1000, warmup: .ratio(0.1)).warmupSteps, 100)
        XCTAssertEqual(LinearSchedule(baseLearningRate: 1, totalSteps: 7, warmup: .ratio(0.1)).warmupSteps, 1)
        XCTAssertEqual(LinearSchedule(baseLearningRate: 1, totalSteps: 30, warmup: .ratio(0)).warmupSteps, 0)
        let schedule = LinearSchedule(baseLearningRate: 2e-5, totalSteps: 1000, warmup: .ratio(0.1))
        XCTAssertEqual(schedule.learningRate(atStep: 50), 1e-5)
        XCTAssertEqual(schedule.learningRate(atStep: 550), 1e-5)
    }

    func testWarmupLongerThanTraining() {
        // Never leaves warmup: base * s / 5; and total == warmup gives 0 from there on.
        let long = LinearSchedule(baseLearningRate: 1, totalSteps: 3, warmup: .steps(5))
        XCTAssertEqual(long.learningRate(atStep: 2), 0.4)
        XCTAssertEqual(long.learningRate(atStep: 5), 0)
        let equal = LinearSchedule(baseLearningRate: 1, totalSteps: 4, warmup: .steps(4))
        XCTAssertEqual(equal.learningRate(atStep: 3), 0.75)
        XCTAssertEqual(equal.learningRate(atStep: 4), 0)
    }
}
