import XCTest
import Heads
@testable import HeadsCRF
import Tensor

/// Viterbi against the brute-force argmax over every (allowed) path, and the IOB2 constraint.
final class CRFDecodingTests: XCTestCase {
    static let conll = ["O", "B-LOC", "B-MISC", "B-ORG", "B-PER", "I-LOC", "I-MISC", "I-ORG", "I-PER"]

    /// A CRF head with random transition, start and end scores.
    static func head(labels: [String], constrain: Bool, scale: Double, random: inout TestRandom) -> CRFTokenClassificationHead {
        let head = CRFTokenClassificationHead(hiddenSize: 4, labels: labels, dropout: 0, constrainIOB2: constrain)
        for tensor in [head.transitions, head.startTransitions, head.endTransitions] {
            for i in 0..<tensor.count { tensor.data[i] = Float(random.uniform(scale)) }
        }
        return head
    }

    static func bruteForce(_ head: CRFTokenClassificationHead, constrain: Bool) -> BruteForceCRF {
        let labels = head.labels
        return BruteForceCRF(classes: labels.count, transitions: head.transitions.values.map(Double.init),
                             start: head.startTransitions.values.map(Double.init), end: head.endTransitions.values.map(Double.init),
                             allowedTransition: constrain ? labels.flatMap { from in labels.map { iob2Allows($0, after: from, labels: labels) } } : nil,
                             allowedStart: constrain ? labels.map { iob2Allows($0, after: nil, labels: labels) } : nil)
    }

    func testViterbiEqualsTheBruteForceArgmax() {
        var random = TestRandom(state: 3)
        let labelSets = [["B-A", "I-A"], ["O", "B-A", "I-A"], ["O", "B-A", "I-A", "B-B"], ["O", "B-A", "I-A", "I-B"]]
        var compared = 0
        for labels in labelSets {
            for constrain in [false, true] {
                for n in 1...5 {
                    for _ in 0..<10 {
                        let head = Self.head(labels: labels, constrain: constrain, scale: 2, random: &random)
                        let k = labels.count
                        let scores = (0..<n * k).map { _ in Float(random.uniform(3)) }
                        let decoded = head.decode(sequenceScores: scores, classes: k)
                        let expected = Self.bruteForce(head, constrain: constrain).bestPath(emissions: scores.map(Double.init))
                        XCTAssertEqual(decoded, expected, "labels \(labels) constrain \(constrain) n \(n)")
                        compared += 1
                    }
                }
            }
        }
        XCTAssertEqual(compared, 400)
    }

    /// Random emissions and transitions strong enough to pull towards invalid paths: with the
    /// constraint none is ever decoded; without it, many are (so the check can fail).
    func testTheIOB2ConstraintNeverDecodesAnInvalidSequence() {
        var random = TestRandom(state: 17)
        let k = Self.conll.count
        var invalidWithout = 0
        for trial in 0..<2000 {
            let n = 1 + trial % 12
            let scores = (0..<n * k).map { _ in Float(random.uniform(5)) }
            let constrained = Self.head(labels: Self.conll, constrain: true, scale: 5, random: &random)
            let tags = constrained.decode(sequenceScores: scores, classes: k)!.map { Self.conll[$0] }
            XCTAssertTrue(isValidIOB2(tags, labels: Self.conll), "decoded \(tags)")
            let free = CRFTokenClassificationHead(hiddenSize: 4, labels: Self.conll, dropout: 0, constrainIOB2: false)
            for (a, b) in zip([free.transitions, free.startTransitions, free.endTransitions],
                              [constrained.transitions, constrained.startTransitions, constrained.endTransitions]) { a.copyValues(from: b) }
            if !isValidIOB2(free.decode(sequenceScores: scores, classes: k)!.map { Self.conll[$0] }, labels: Self.conll) { invalidWithout += 1 }
        }
        XCTAssertGreaterThan(invalidWithout, 500, "without the constraint, invalid paths are decoded")
    }

    func testConstraintMatricesFollowIOB2() {
        for labels in [Self.conll, ["O", "I-PER", "B-LOC", "I-LOC"], ["O", "PER", "B-X", "I-X"]] {
            let constraint = IOB2Constraint(labels: labels)
            for (to, tag) in labels.enumerated() {
                XCTAssertEqual(constraint.allowedStart[to], iob2Allows(tag, after: nil, labels: labels), "start \(tag)")
                for (from, previous) in labels.enumerated() {
                    XCTAssertEqual(constraint.allowedTransition[from * labels.count + to], iob2Allows(tag, after: previous, labels: labels),
                                   "\(previous) -> \(tag)")
                }
            }
        }
        // hand-stated cases on CoNLL tags
        let c = IOB2Constraint(labels: Self.conll)
        func allowed(_ a: String, _ b: String) -> Bool { c.allowedTransition[Self.conll.firstIndex(of: a)! * 9 + Self.conll.firstIndex(of: b)!] }
        XCTAssertFalse(allowed("O", "I-PER"))
        XCTAssertFalse(allowed("B-LOC", "I-PER"))
        XCTAssertFalse(allowed("I-LOC", "I-PER"))
        XCTAssertTrue(allowed("B-PER", "I-PER"))
        XCTAssertTrue(allowed("I-PER", "I-PER"))
        XCTAssertTrue(allowed("I-PER", "B-PER"))
        XCTAssertTrue(allowed("I-PER", "O"))
        XCTAssertFalse(c.allowedStart[Self.conll.firstIndex(of: "I-ORG")!])
        XCTAssertTrue(c.allowedStart[Self.conll.firstIndex(of: "B-ORG")!])
        // I-PER without B-PER in the list is the only way to tag PER: never forbidden
        let noBegin = IOB2Constraint(labels: ["O", "I-PER", "B-LOC", "I-LOC"])
        XCTAssertTrue(noBegin.allowedStart[1] && noBegin.allowedTransition[0 * 4 + 1] && noBegin.allowedTransition[3 * 4 + 1])
    }

    /// The head's loss reads the chain from the token labels (-100 skipped) and trains a gold
    /// I-X after O as B-X under the constraint (else the masked gold path would score -inf).
    func testHeadLossSkipsIgnoredPositionsAndRepairsInvalidGold() throws {
        var random = TestRandom(state: 23)
        let labels = ["O", "B-Z", "I-Z"]
        let head = Self.head(labels: labels, constrain: true, scale: 1, random: &random)
        let t = 6, k = 3
        let emissions = (0..<t * k).map { _ in Float(random.uniform(2)) }
        // [CLS] O ## I-Z ## [SEP]: gold O, I-Z is invalid IOB2, trained as O, B-Z
        let tokenLabels: [Int32] = [-100, 0, -100, 2, -100, -100]
        let output = HeadOutput(["logits": Tensor(shape: [1, t, k], values: emissions)], perToken: ["logits"])
        let loss = try head.loss(output, targets: TokenLabels(tokenLabels))
        XCTAssertTrue(loss.item.isFinite)
        let e = [1, 3].flatMap { p in (0..<k).map { Double(emissions[p * k + $0]) } }
        var crf = Self.bruteForce(head, constrain: true)
        crf.allowedStart = nil   // training does not mask starts
        XCTAssertEqual(Double(loss.item), crf.negativeLogLikelihood([0, 1], emissions: e), accuracy: 1e-5)
    }
}
