import XCTest
import Tensor
import Backbone
import Heads

/// The three transformers heads on tiny-bert in bf16 mixed precision against PyTorch's
/// `torch.autocast("cpu", dtype=torch.bfloat16)` (Tests/Fixtures/bf16, made by generate.py
/// there): loss and logits within 2e-2·max|logit|, every gradient's direction to a cosine of
/// 0.999. The two schemes are not the same arithmetic (autocast also rounds the linear maps'
/// outputs, GELU and the residual adds to bf16; BertKit rounds only the GEMM operands), so the
/// bounds are about bf16's precision, not bit equality; each case prints how far it lies from the
/// autocast reference and from the fp32 one.
final class TinyBertBF16Tests: XCTestCase {
    /// The worst figures of one comparison, for the printed report.
    struct Distance: CustomStringConvertible {
        var logitDifference: Float = 0
        var logitScale: Float = 0
        var lossDifference: Float = 0
        var worstCosine = 1.0
        var worstParameter = ""

        var description: String {
            "max |logit diff| \(logitDifference) / max|logit| \(logitScale) = \(logitDifference / logitScale), "
                + "|loss diff| \(lossDifference), worst gradient cosine \(worstCosine) (\(worstParameter))"
        }
    }

    /// cos(a, b) in Double; 1 when both are zero, 0 when only one is.
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var (dot, aa, bb) = (0.0, 0.0, 0.0)
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        if aa == 0 && bb == 0 { return 1 }
        if aa == 0 || bb == 0 { return 0 }
        return dot / (aa * bb).squareRoot()
    }

    func testLossLogitsAndGradientsAgainstTorchAutocast() throws {
        if let why = BF16Support.missingBF16Matmul(.current()) { throw XCTSkip(why) }
        // oneDNN is a test dependency (scripts/setup.sh installs it): its absence fails the test
        _ = try OneDNN.load()
        for c in TinyBertHeadTests.cases {
            let autocast = try Fixtures.reference("bf16/tiny-bert-\(c.folder)-autocast.safetensors")
            for skipsPadding in [false, true] {
                let (model, fp32, batch, targets) = try TinyBertHeadTests.load(c)
                model.skipsPadding = skipsPadding
                if skipsPadding && model.head.readsPaddingPositions { continue }
                let label = "\(c.folder)\(skipsPadding ? " skipping padding" : "")"

                // the step as the trainer takes it: forward, loss and backward inside bf16
                let (outputs, perToken, loss): ([[Float]], [Bool], Float) = try Precision.bf16.run {
                    try BF16Weights.reusingConversions {
                        var stream = RandomStream(key: 0)
                        let output = model(batch, training: false, stream: &stream)
                        let loss = try model.head.loss(output, targets: targets)
                        loss.backward()
                        return (c.outputs.map { output[$0]!.values }, c.outputs.map { output.perToken.contains($0) }, loss.item)
                    }
                }

                var versusAutocast = Distance(), versusFP32 = Distance()
                for (k, name) in c.outputs.enumerated() {
                    var actual = outputs[k]
                    var expected = try autocast.tensor(named: name).values
                    var expectedFP32 = try autocast.tensor(named: "fp32." + name).values
                    XCTAssertEqual(actual.count, expected.count, "\(label) \(name) size")
                    if skipsPadding && perToken[k] {
                        // per-token outputs: real tokens only (padding rows are computed from zeros)
                        let perPosition = actual.count / batch.attentionMask.count
                        let kept = (0..<actual.count).filter { batch.attentionMask[$0 / perPosition] != 0 }
                        XCTAssertLessThan(kept.count, actual.count, "\(label): the fixture batch has padding")
                        (actual, expected, expectedFP32) = (kept.map { actual[$0] }, kept.map { expected[$0] }, kept.map { expectedFP32[$0] })
                    }
                    let scale = expected.map(abs).max() ?? 0
                    let difference = maxAbsoluteDifference(actual, expected)
                    XCTAssertLessThanOrEqual(difference, 2e-2 * scale, "\(label) \(name) against autocast (max|logit| \(scale))")
                    if difference / scale > versusAutocast.logitDifference / max(versusAutocast.logitScale, .leastNonzeroMagnitude) {
                        (versusAutocast.logitDifference, versusAutocast.logitScale) = (difference, scale)
                    }
                    let differenceFP32 = maxAbsoluteDifference(actual, expectedFP32), scaleFP32 = expectedFP32.map(abs).max() ?? 0
                    if differenceFP32 / scaleFP32 > versusFP32.logitDifference / max(versusFP32.logitScale, .leastNonzeroMagnitude) {
                        (versusFP32.logitDifference, versusFP32.logitScale) = (differenceFP32, scaleFP32)
                    }
                }

                let expectedLoss = try autocast.tensor(named: "loss").item
                versusAutocast.lossDifference = abs(loss - expectedLoss)
                versusFP32.lossDifference = abs(loss - (try autocast.tensor(named: "fp32.loss").item))
                XCTAssertLessThanOrEqual(versusAutocast.lossDifference, 2e-2 * versusAutocast.logitScale,
                                         "\(label) loss \(loss) against autocast \(expectedLoss)")

                // Gradients that are zero in exact arithmetic (the key biases: softmax ignores a
                // shift; for QA also qa_outputs.bias and the last LayerNorm bias) are rounding noise
                // in every reference (fp32's |g| ~ 1e-8, autocast's ~ 1e-3), so their direction means
                // nothing: they are found from the fp32 reference and held to being negligible.
                let fp32Gradients = try model.namedParameters.map { try fp32.tensor(named: "grad." + $0.name).values }
                let globalNorm: Double = fp32Gradients.joined().reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                var checked = 0, structuralZeros: [String] = []
                for ((name, parameter), expectedFP32) in zip(model.namedParameters, fp32Gradients) {
                    let actual = parameter.grad?.values ?? Array(repeating: 0, count: parameter.count)
                    let norm: Double = actual.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                    let expectedNorm: Double = expectedFP32.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                    if expectedNorm <= 1e-6 * globalNorm {
                        XCTAssertLessThanOrEqual(norm, 1e-3 * globalNorm, "\(label) grad.\(name) is zero in exact arithmetic")
                        structuralZeros.append("\(name) |g| \(norm)")
                        checked += 1
                        continue
                    }
                    let cosine = Self.cosine(actual, try autocast.tensor(named: "grad." + name).values)
                    XCTAssertGreaterThanOrEqual(cosine, 0.999, "\(label) grad.\(name): cosine with torch autocast's")
                    if cosine < versusAutocast.worstCosine { (versusAutocast.worstCosine, versusAutocast.worstParameter) = (cosine, name) }
                    let cosineFP32 = Self.cosine(actual, expectedFP32)
                    if cosineFP32 < versusFP32.worstCosine { (versusFP32.worstCosine, versusFP32.worstParameter) = (cosineFP32, name) }
                    checked += 1
                }
                XCTAssertLessThanOrEqual(structuralZeros.count, 4, "\(label): only the shift-invariant gradients are zero")
                XCTAssertGreaterThan(checked, 30, "\(label): every parameter has a reference gradient")
                print("\(label) bf16 against torch autocast: \(versusAutocast)")
                print("\(label) bf16 against torch fp32:     \(versusFP32)")
                print("\(label) zero in exact arithmetic (global |g| \(globalNorm)): \(structuralZeros.joined(separator: ", "))")
            }
        }
    }
}
