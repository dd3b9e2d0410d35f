import XCTest
@testable import HeadsCRF
import Tensor

/// The CRF op against brute-force enumeration of every tag path: loss and every gradient, for
/// lengths 1-4 and 2-4 tags, with ignored positions (-100), padding, a row without any labelled
/// position, and with and without the IOB2 transition mask.
final class CRFNegativeLogLikelihoodTests: XCTestCase {
    static let labelSets: [[String]] = [["B-A", "I-A"], ["O", "B-A", "I-A"], ["O", "B-A", "I-A", "I-B"]]

    /// A batch of rows whose chains have the given lengths, labelled positions scattered among
    /// -100 ones ([CLS] first, later sub-tokens, padding at the end).
    struct Case {
        var labels: [String]
        var lengths: [Int]
        var sequenceLength: Int
        var emissions: [Float]
        var tags: [Int32]
        var transitions: [Float]
        var start: [Float]
        var end: [Float]
        var masked: Bool

        var classes: Int { labels.count }
        var allowed: [Bool] {
            labels.flatMap { from in labels.map { iob2Allows($0, after: from, labels: labels) } }
        }

        init(labels: [String], lengths: [Int], masked: Bool, random: inout TestRandom) {
            self.labels = labels
            self.lengths = lengths
            self.masked = masked
            let k = labels.count
            sequenceLength = 2 * (lengths.max() ?? 0) + 3
            let t = sequenceLength
            emissions = (0..<lengths.count * t * k).map { _ in Float(random.uniform(2)) }
            transitions = (0..<k * k).map { _ in Float(random.uniform(1)) }
            start = (0..<k).map { _ in Float(random.uniform(1)) }
            end = (0..<k).map { _ in Float(random.uniform(1)) }
            tags = Array(repeating: -100, count: lengths.count * t)
            let allowed = labels.flatMap { from in labels.map { iob2Allows($0, after: from, labels: labels) } }
            for (row, n) in lengths.enumerated() {
                var path: [Int]
                repeat {
                    path = (0..<n).map { _ in random.below(k) }
                } while masked && path.indices.dropFirst().contains { !allowed[path[$0 - 1] * k + path[$0]] }
                var position = 1
                for tag in path {
                    tags[row * t + position] = Int32(tag)
                    position += 1 + random.below(2)   // sometimes a later sub-token in between
                }
            }
        }

        func chain(row: Int) -> (gold: [Int], positions: [Int], emissions: [Double]) {
            let t = sequenceLength, k = classes
            let positions = (0..<t).filter { tags[row * t + $0] != -100 }
            let e = positions.flatMap { p in (0..<k).map { Double(emissions[(row * t + p) * k + $0]) } }
            return (positions.map { Int(tags[row * t + $0]) }, positions, e)
        }

        func bruteForce(transitions a: [Double]? = nil, start s: [Double]? = nil, end z: [Double]? = nil) -> BruteForceCRF {
            BruteForceCRF(classes: classes, transitions: a ?? transitions.map(Double.init), start: s ?? start.map(Double.init),
                          end: z ?? end.map(Double.init), allowedTransition: masked ? allowed : nil, allowedStart: nil)
        }

        /// The mean NLL over rows with a chain, in Double, from (possibly perturbed) inputs.
        func referenceLoss(_ inputs: [[Double]]) -> Double {
            let t = sequenceLength, k = classes
            let crf = bruteForce(transitions: inputs[1], start: inputs[2], end: inputs[3])
            var total = 0.0, rows = 0
            for row in lengths.indices {
                let (gold, positions, _) = chain(row: row)
                guard !gold.isEmpty else { continue }
                let e = positions.flatMap { p in (0..<k).map { inputs[0][(row * t + p) * k + $0] } }
                total += crf.negativeLogLikelihood(gold, emissions: e)
                rows += 1
            }
            return rows == 0 ? 0 : total / Double(rows)
        }

        func tensors() -> [Tensor] {
            let k = classes
            return [Tensor(shape: [lengths.count, sequenceLength, k], values: emissions, requiresGrad: true),
                    Tensor(shape: [k, k], values: transitions, requiresGrad: true),
                    Tensor(shape: [k], values: start, requiresGrad: true),
                    Tensor(shape: [k], values: end, requiresGrad: true)]
        }

        func loss(_ inputs: [Tensor]) -> Tensor {
            crfNegativeLogLikelihood(emissions: inputs[0], tags: tags, transitions: inputs[1], start: inputs[2], end: inputs[3],
                                     allowedTransition: masked ? allowed : nil)
        }
    }

    func testLossAndGradientsEqualBruteForceEnumeration() {
        var random = TestRandom(state: 11)
        var checked = 0
        for labels in Self.labelSets {
            for n in 1...4 {
                for masked in [false, true] {
                    let testCase = Case(labels: labels, lengths: [n, max(1, n - 1), 0], masked: masked, random: &random)
                    let inputs = testCase.tensors()
                    let loss = testCase.loss(inputs)
                    loss.backward()
                    let k = labels.count, t = testCase.sequenceLength
                    let crf = testCase.bruteForce()
                    var expectedLoss = 0.0
                    var dE = [Double](repeating: 0, count: inputs[0].count), dA = [Double](repeating: 0, count: k * k)
                    var dS = [Double](repeating: 0, count: k), dZ = dS
                    let rows = Double(testCase.lengths.filter { $0 > 0 }.count)
                    for row in testCase.lengths.indices {
                        let (gold, positions, e) = testCase.chain(row: row)
                        guard !gold.isEmpty else { continue }
                        expectedLoss += crf.negativeLogLikelihood(gold, emissions: e) / rows
                        let g = crf.gradients(gold, emissions: e)
                        for (i, p) in positions.enumerated() { for j in 0..<k { dE[(row * t + p) * k + j] += g.emissions[i * k + j] / rows } }
                        for j in 0..<k * k { dA[j] += g.transitions[j] / rows }
                        for j in 0..<k { dS[j] += g.start[j] / rows; dZ[j] += g.end[j] / rows }
                    }
                    let what = "K=\(k) n=\(n) masked=\(masked)"
                    XCTAssertEqual(Double(loss.item), expectedLoss, accuracy: 1e-5 * max(1, expectedLoss), what)
                    for (name, tensor, expected) in [("emissions", inputs[0], dE), ("transitions", inputs[1], dA),
                                                     ("start", inputs[2], dS), ("end", inputs[3], dZ)] {
                        let actual = tensor.grad?.values ?? []
                        XCTAssertEqual(actual.count, expected.count, "\(what) \(name)")
                        for (index, (a, b)) in zip(actual, expected).enumerated() {
                            XCTAssertEqual(Double(a), b, accuracy: 1e-5, "\(what) d\(name)[\(index)]")
                        }
                    }
                    if masked {
                        // a forbidden transition is never taken, so it gets no gradient
                        for (index, allowed) in testCase.allowed.enumerated() where !allowed { XCTAssertEqual(dA[index], 0) }
                    }
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 24)
    }

    /// Every gradient against central finite differences of the float64 brute-force loss.
    func testGradientsMatchFloat64FiniteDifferences() {
        var random = TestRandom(state: 5)
        for masked in [false, true] {
            let testCase = Case(labels: ["O", "B-A", "I-A", "B-B"], lengths: [3, 2], masked: masked, random: &random)
            let inputs = testCase.tensors()
            testCase.loss(inputs).backward()
            let doubles = inputs.map { $0.values.map(Double.init) }
            let step = 1e-6
            for (index, tensor) in inputs.enumerated() {
                var perturbed = doubles
                var numeric = [Double](repeating: 0, count: tensor.count)
                for j in numeric.indices {
                    perturbed[index][j] = doubles[index][j] + step
                    let plus = testCase.referenceLoss(perturbed)
                    perturbed[index][j] = doubles[index][j] - step
                    let minus = testCase.referenceLoss(perturbed)
                    perturbed[index][j] = doubles[index][j]
                    numeric[j] = (plus - minus) / (2 * step)
                }
                let analytic = tensor.grad?.values.map(Double.init) ?? []
                let scale = max(numeric.map(abs).max() ?? 0, 1e-6)
                let worst = zip(analytic, numeric).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst / scale, 1e-4, "input \(index), masked \(masked)")
                XCTAssertGreaterThan(scale, 1e-3, "input \(index) has a gradient to check")
            }
        }
    }

    func testABatchWithoutLabelledPositionsHasZeroLoss() {
        let emissions = Tensor(zeros: [2, 3, 2], requiresGrad: true)
        let transitions = Tensor(zeros: [2, 2], requiresGrad: true)
        let start = Tensor(zeros: [2], requiresGrad: true), end = Tensor(zeros: [2], requiresGrad: true)
        let loss = crfNegativeLogLikelihood(emissions: emissions, tags: Array(repeating: -100, count: 6),
                                            transitions: transitions, start: start, end: end)
        XCTAssertEqual(loss.item, 0)
        loss.backward()
        XCTAssertEqual(emissions.grad?.values.allSatisfy { $0 == 0 } ?? true, true)
    }
}
