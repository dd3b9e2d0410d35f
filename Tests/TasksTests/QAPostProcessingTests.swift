import Foundation
import XCTest
@testable import Tasks

/// utils_qa post-processing on hand-made logits. The window is
/// `[CLS] q [SEP] abc def ghi [SEP]` over the context "abc def ghi" (abc = 0..<3, def = 4..<7,
/// ghi = 8..<11); every expected answer below is worked out by hand.
final class QAPostProcessingTests: XCTestCase {
    let context = "abc def ghi"
    let offsets: [Range<Int>?] = [nil, nil, nil, 0..<3, 4..<7, 8..<11, nil]

    func window(_ start: [Float], _ end: [Float]) -> QAPostProcessor.WindowLogits {
        QAPostProcessor.WindowLogits(start: start, end: end, contextOffsets: offsets)
    }

    func testSpansStayInsideTheContext() {
        // The question token (1) has the highest start and end logits; it is not a candidate.
        let p = QAPostProcessor().predict(context: context, windows: [window([0, 10, 0, 0, 5, 0, 0], [0, 10, 0, 0, 0, 4, 0])])
        XCTAssertEqual(p.text, "def ghi")
        XCTAssertEqual(p.offsets, 4..<11)
        XCTAssertEqual(p.nBest.first?.score, 9)
        XCTAssertNil(p.nullScoreDiff)
        XCTAssertFalse(p.nBest.contains { $0.offsets.lowerBound < 0 || $0.text.contains("q") })
    }

    func testEndBeforeStartIsNoCandidate() {
        // best start at ghi, best end at abc: (ghi, abc) is backwards; ghi..ghi = 9 + 0.5 wins
        let p = QAPostProcessor().predict(context: context, windows: [window([0, 0, 0, 0, 1, 9, 0], [0, 0, 0, 9, 1, 0.5, 0])])
        XCTAssertEqual(p.text, "ghi")
        XCTAssertEqual(p.nBest.first?.score, 9.5)
    }

    func testMaxAnswerLength() {
        let start: [Float] = [0, 0, 0, 5, 3, 0, 0], end: [Float] = [0, 0, 0, 1, 2, 5, 0]
        // 3 tokens allowed: abc..ghi = 5 + 5
        XCTAssertEqual(QAPostProcessor(maxAnswerLength: 3).predict(context: context, windows: [window(start, end)]).text, "abc def ghi")
        // 2 tokens: abc..def = 7, def..ghi = 3 + 5 = 8 is the best left
        let two = QAPostProcessor(maxAnswerLength: 2).predict(context: context, windows: [window(start, end)])
        XCTAssertEqual(two.text, "def ghi")
        XCTAssertEqual(two.nBest.first?.score, 8)
        // 1 token: abc = 6, def = 5, ghi = 5
        XCTAssertEqual(QAPostProcessor(maxAnswerLength: 1).predict(context: context, windows: [window(start, end)]).text, "abc")
    }

    func testNBestOrderAndProbabilities() {
        // top-2 starts: abc (2), def (1); top-2 ends: ghi (2), def (1). Pairs in the order found:
        // abc..ghi 4, abc..def 3, def..ghi 3, def..def 2. n_best 2 keeps 4 and the first 3.
        let p = QAPostProcessor(nBestSize: 2).predict(context: context, windows: [window([0, 0, 0, 2, 1, 0, 0], [0, 0, 0, 0, 1, 2, 0])])
        XCTAssertEqual(p.nBest.map(\.text), ["abc def ghi", "abc def"])
        // softmax(4, 3) = (e / (e + 1), 1 / (e + 1))
        XCTAssertEqual(p.nBest[0].probability, 0.7310585786300049, accuracy: 1e-12)
        XCTAssertEqual(p.nBest[1].probability, 0.2689414213699951, accuracy: 1e-12)
        XCTAssertEqual(p.probability, p.nBest[0].probability)
    }

    func testNoSpanAtAllGivesUtilsQAsEmptyStandIn() {
        let offsets: [Range<Int>?] = [nil, nil, nil]
        let p = QAPostProcessor().predict(context: context, windows: [.init(start: [1, 2, 3], end: [1, 2, 3], contextOffsets: offsets)])
        XCTAssertEqual(p.text, "empty")
        XCTAssertEqual(p.nBest.count, 1)
    }

    func testNullScoreIsTheMinimumOverTheWindows() {
        // window A: [CLS] score 3 + 3 = 6, best span def = 1 + 1 = 2; window B: [CLS] 2 + 2 = 4,
        // no span better than 0. The null score is min(6, 4) = 4; 4 - 2 = 2 > 0 -> no answer.
        let a = window([3, 0, 0, 0, 1, 0, 0], [3, 0, 0, 0, 1, 0, 0])
        let b = window([2, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0])
        let v2 = QAPostProcessor(versionTwoWithNegative: true)
        let p = v2.predict(context: context, windows: [a, b])
        XCTAssertEqual(p.text, "")
        XCTAssertEqual(p.nullScoreDiff, 2)
        let null = p.nBest.first { $0.isNull }
        XCTAssertEqual(null?.score, 4)
        XCTAssertEqual(null?.startLogit, 2)
        // the window order does not matter
        XCTAssertEqual(v2.predict(context: context, windows: [b, a]).nullScoreDiff, 2)
        // v1 ignores the null score
        XCTAssertEqual(QAPostProcessor().predict(context: context, windows: [a, b]).text, "def")
    }

    func testVersionTwoThreshold() {
        let a = window([3, 0, 0, 0, 1, 0, 0], [3, 0, 0, 0, 1, 0, 0])
        let b = window([2, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0])
        func answer(_ threshold: Double) -> String {
            QAPostProcessor(versionTwoWithNegative: true, nullScoreDiffThreshold: threshold).predict(context: context, windows: [a, b]).text
        }
        XCTAssertEqual(answer(1.5), "")
        XCTAssertEqual(answer(2), "def", "no answer only when the difference is strictly above the threshold")
        XCTAssertEqual(answer(2.5), "def")
        // When the null answer would fall out of the n-best it is added back.
        let p = QAPostProcessor(nBestSize: 1, versionTwoWithNegative: true).predict(context: context, windows: [window([-5, 0, 0, 0, 1, 0, 0], [-5, 0, 0, 0, 1, 0, 0])])
        XCTAssertEqual(p.nBest.map(\.isNull), [false, true])
        XCTAssertEqual(p.text, "def")
        XCTAssertEqual(p.nullScoreDiff, -12)
    }

    func testTextIsCutByCodePoints() {
        // "é" as e + U+0301 is two code points; offsets count code points, not Characters
        let text = "cafe\u{301} noir"
        let offsets: [Range<Int>?] = [nil, 0..<5, 6..<10, nil]
        let p = QAPostProcessor().predict(context: text, windows: [.init(start: [0, 0, 5, 0], end: [0, 0, 5, 0], contextOffsets: offsets)])
        XCTAssertEqual(p.text, "noir")
        XCTAssertEqual(p.offsets, 6..<10)
    }
}
