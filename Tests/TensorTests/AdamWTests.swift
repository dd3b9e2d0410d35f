import Foundation
import XCTest
@testable import Tensor

/// AdamW against torch.optim.AdamW's formulas, written out here in Double independently of the
/// implementation (which works in Float in torch's order), plus exact save/load/resume.
final class AdamWTests: XCTestCase {

    // MARK: the decay rule

    func testDecayRuleMatchesHuggingFaceGroups() {
        let decaying = [
            "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
            "encoder.layer.0.attention.self.query.weight", "encoder.layer.11.output.dense.weight",
            "pooler.dense.weight", "classifier.weight", "qa_outputs.weight",
            "normalizer.weight",                      // "norm" only as a whole component
        ]
        let notDecaying = [
            "encoder.layer.0.attention.self.query.bias", "classifier.bias", "qa_outputs.bias",
            "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
            "encoder.layer.3.attention.output.LayerNorm.weight", "encoder.layer.3.output.LayerNorm.weight",
            "decoder.layer_norm.weight", "model.norm.weight", "final_norm.weight", "block.RMSNorm.scale",
            "relative_attention_bias.weight",
        ]
        for name in decaying { XCTAssertTrue(AdamW.decays(parameterNamed: name), name) }
        for name in notDecaying { XCTAssertFalse(AdamW.decays(parameterNamed: name), name) }

        let optimizer = AdamW(parameters: [("a.weight", Tensor(zeros: [2])), ("a.bias", Tensor(zeros: [2]))], weightDecay: 0.01)
        XCTAssertEqual(optimizer.weightDecay(ofParameterNamed: "a.weight"), 0.01)
        XCTAssertEqual(optimizer.weightDecay(ofParameterNamed: "a.bias"), 0)
        XCTAssertNil(optimizer.weightDecay(ofParameterNamed: "b.weight"))
    }

    // MARK: the update against the formulas

    /// Four steps of a linear schedule (the first at lr 0), clipping active in the second, a
    /// decaying matrix, a bias and a LayerNorm weight without decay, and a parameter that has no
    /// gradient in the third step (skipped: its step count and moments stay).
    func testStepsMatchTorchFormulasWithScheduleAndClipping() {
        let model = ToyModel()
        let optimizer = AdamW(parameters: model.parameters, weightDecay: 0.1)
        let schedule = LinearSchedule(baseLearningRate: 0.05, totalSteps: 6, warmup: .steps(1))
        var reference = ReferenceAdamW(model.parameters, weightDecay: 0.1)
        let gradientScales = [0.1, 2.5, 0.12, 0.1]
        var clipped: [Bool] = []

        for step in 0..<gradientScales.count {
            model.setGradients(step: step, scale: gradientScales[step], skipping: step == 2 ? ["classifier.weight"] : [])
            let referenceNorm = reference.clip(model.parameters, maxNorm: 1.0)
            let norm = GradientClipping.clipGlobalNorm(of: model.parameters, maxNorm: 1.0)
            XCTAssertEqual(Double(norm), referenceNorm, accuracy: 1e-6 * referenceNorm, "norm at step \(step)")
            clipped.append(referenceNorm > 1.0)

            let lr = schedule.learningRate(atStep: step)
            reference.step(learningRate: lr)
            optimizer.step(learningRate: lr)

            for (name, tensor) in model.parameters {
                assertClose(tensor.values, reference.parameters[name]!, tolerance: 1e-6, "\(name) after step \(step + 1)")
            }
            let state = Dictionary(optimizer.state().moments.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
            for (name, _) in model.parameters {
                assertRelativelyClose(state["exp_avg." + name]!.values, reference.m[name]!, "m of \(name)")
                assertRelativelyClose(state["exp_avg_sq." + name]!.values, reference.v[name]!, "v of \(name)")
            }
        }
        XCTAssertEqual(clipped, [false, true, false, false], "the gradients must clip in exactly the second step")
        XCTAssertEqual(optimizer.stepCount(ofParameterNamed: "classifier.weight"), 3)
        XCTAssertEqual(optimizer.stepCount(ofParameterNamed: "embeddings.LayerNorm.weight"), 4)
        // The first step ran at lr 0: moments moved, parameters did not (checked above each step);
        // the later steps must have moved every parameter away from its start.
        for (name, tensor) in model.parameters {
            XCTAssertNotEqual(tensor.values, ToyModel().parameterDictionary[name]!.values, name)
        }
    }

    /// beta1 below 0.5 takes torch's other lerp form; the formulas are the same.
    func testSmallBeta1MatchesFormulas() {
        let model = ToyModel()
        let optimizer = AdamW(parameters: model.parameters, weightDecay: 0.01, beta1: 0.3, beta2: 0.9, epsilon: 1e-6)
        var reference = ReferenceAdamW(model.parameters, weightDecay: 0.01, beta1: 0.3, beta2: 0.9, epsilon: 1e-6)
        for step in 0..<3 {
            model.setGradients(step: step, scale: 0.2, skipping: [])
            optimizer.step(learningRate: 0.02)
            reference.readGradients(model.parameters)
            reference.step(learningRate: 0.02)
        }
        for (name, tensor) in model.parameters {
            assertClose(tensor.values, reference.parameters[name]!, tolerance: 1e-6, name)
        }
    }

    /// The update is element-wise, so one thread and two give the same bits. With two threads the
    /// split (at 32830) is not a multiple of 8, so elements that the 8-lane body updates on one
    /// thread fall in a scalar tail on the other: body and tail must agree bit for bit too.
    func testThreadCountDoesNotChangeBits() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var results: [[UInt32]] = []
        for threads in [1, 2] {
            Parallel.threadCount = threads
            let count = 4 * AdamW.minimumChunk + 123
            let weight = Tensor(shape: [count], values: (0..<count).map { Float(sin(Double($0) * 0.37)) })
            weight.grad = Tensor(shape: [count], values: (0..<count).map { Float(cos(Double($0) * 0.11)) * 0.01 })
            let optimizer = AdamW(parameters: [("big.weight", weight)], weightDecay: 0.01)
            for _ in 0..<3 { optimizer.step(learningRate: 1e-3) }
            results.append(weight.values.map(\.bitPattern) + optimizer.state().moments.flatMap { $0.tensor.values.map(\.bitPattern) })
        }
        XCTAssertEqual(results[0], results[1])
    }

    // MARK: state

    /// Run 2 steps, save (JSON metadata + copied moment tensors), load into a fresh optimizer on
    /// copied parameters, run 3 more: bit-identical to running 5 steps without saving.
    func testSaveLoadContinueIsBitIdentical() throws {
        let schedule = LinearSchedule(baseLearningRate: 0.05, totalSteps: 8, warmup: .steps(2))
        let original = ToyModel()
        let optimizer = AdamW(parameters: original.parameters, weightDecay: 0.1)
        func train(_ model: ToyModel, _ optimizer: AdamW, steps: Range<Int>) {
            for step in steps {
                model.setGradients(step: step, scale: step == 3 ? 3.0 : 0.3, skipping: step == 4 ? ["encoder.dense.bias"] : [])
                GradientClipping.clipGlobalNorm(of: model.parameters, maxNorm: 1.0)
                optimizer.step(learningRate: schedule.learningRate(atStep: step))
            }
        }
        train(original, optimizer, steps: 0..<2)

        // What a checkpoint would hold, detached from the live optimizer and model.
        let saved = optimizer.state()
        let metadataJSON = try JSONEncoder().encode(saved.metadata)
        let savedMoments = saved.moments.map { ($0.name, $0.tensor.detached()) }
        let resumed = ToyModel()
        for (name, tensor) in original.parameters { resumed.parameterDictionary[name]!.copyValues(from: tensor) }
        let untouched = ToyModel()   // same copied parameters, but a fresh optimizer: must differ
        for (name, tensor) in original.parameters { untouched.parameterDictionary[name]!.copyValues(from: tensor) }

        let resumedOptimizer = AdamW(parameters: resumed.parameters, weightDecay: 0.1)
        let metadata = try JSONDecoder().decode(AdamWStateMetadata.self, from: metadataJSON)
        XCTAssertEqual(metadata, saved.metadata)
        try resumedOptimizer.load(AdamWState(metadata: metadata, moments: savedMoments))
        let freshOptimizer = AdamW(parameters: untouched.parameters, weightDecay: 0.1)

        train(original, optimizer, steps: 2..<5)
        train(resumed, resumedOptimizer, steps: 2..<5)
        train(untouched, freshOptimizer, steps: 2..<5)

        for (name, tensor) in original.parameters {
            XCTAssertEqual(tensor.values.map(\.bitPattern), resumed.parameterDictionary[name]!.values.map(\.bitPattern), name)
            XCTAssertNotEqual(tensor.values, untouched.parameterDictionary[name]!.values, "\(name): the state must matter")
        }
        let a = optimizer.state(), b = resumedOptimizer.state()
        XCTAssertEqual(a.metadata, b.metadata)
        XCTAssertEqual(a.metadata.parameters.first { $0.name == "encoder.dense.bias" }?.step, 4)
        XCTAssertEqual(a.moments.map(\.name), b.moments.map(\.name))
        for (x, y) in zip(a.moments, b.moments) {
            XCTAssertEqual(x.tensor.values.map(\.bitPattern), y.tensor.values.map(\.bitPattern), x.name)
        }
    }

    func testLoadErrorsNameTheParameterAndChangeNothing() throws {
        let model = ToyModel()
        let optimizer = AdamW(parameters: model.parameters, weightDecay: 0.1)
        model.setGradients(step: 0, scale: 0.3, skipping: [])
        optimizer.step(learningRate: 0.01)
        let good = optimizer.state()
        let before = good.moments.map { $0.tensor.values }

        func expect(_ state: AdamWState, _ expected: AdamWStateError, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try optimizer.load(state), file: file, line: line) { error in
                XCTAssertEqual(error as? AdamWStateError, expected, file: file, line: line)
            }
        }
        // Every failing state also carries step counts and zeroed moments that must not land.
        var zeroed = good
        zeroed.metadata.parameters = zeroed.metadata.parameters.map { var p = $0; p.step = 0; return p }
        zeroed.moments = zeroed.moments.map { ($0.name, Tensor(zeros: $0.tensor.shape)) }

        var missing = zeroed
        missing.moments.removeAll { $0.name == "exp_avg_sq.embeddings.LayerNorm.weight" }
        expect(missing, .missingMoment(parameter: "embeddings.LayerNorm.weight", moment: "exp_avg_sq.embeddings.LayerNorm.weight"))

        var misShaped = zeroed
        let index = misShaped.moments.firstIndex { $0.name == "exp_avg.encoder.dense.weight" }!
        misShaped.moments[index].tensor = Tensor(zeros: [3, 2])
        expect(misShaped, .momentShapeMismatch(parameter: "encoder.dense.weight", moment: "exp_avg.encoder.dense.weight",
                                               expected: [2, 3], found: [3, 2]))

        var unexpected = zeroed
        unexpected.metadata.parameters.append(.init(name: "pooler.dense.weight", step: 1, weightDecay: 0.1, shape: [2]))
        expect(unexpected, .unexpectedParameter("pooler.dense.weight"))

        var absent = zeroed
        absent.metadata.parameters.removeAll { $0.name == "classifier.weight" }
        expect(absent, .missingParameter("classifier.weight"))

        var negative = zeroed
        negative.metadata.parameters[0].step = -1
        expect(negative, .negativeStep(parameter: negative.metadata.parameters[0].name, step: -1))

        XCTAssertEqual(optimizer.stepCount(ofParameterNamed: "classifier.weight"), 1)
        XCTAssertEqual(optimizer.state().moments.map { $0.tensor.values }, before)
        XCTAssertTrue(AdamWStateError.missingMoment(parameter: "a.weight", moment: "exp_avg.a.weight").description.contains("a.weight"))
    }
}

// MARK: - test helpers

/// Parameters named like a model's: decaying matrices (dense, classifier, embeddings), a bias
/// and a LayerNorm weight. Start values are fixed; gradients are a fixed function of the step.
private final class ToyModel: Module {
    let dense = Tensor(shape: [2, 3], values: [0.5, -0.25, 0.75, -1.0, 0.125, 0.3])
    let bias = Tensor(shape: [3], values: [0.1, -0.2, 0.05])
    let norm = Tensor(shape: [4], values: [1.0, 0.9, 1.1, 1.05])
    let classifier = Tensor(shape: [2, 2], values: [0.2, -0.4, 0.6, -0.8])
    /// 21 elements: two 8-lane blocks of the SIMD body and a 5-element scalar tail.
    let embeddings = Tensor(shape: [3, 7], values: (0..<21).map { Float($0 - 10) * 0.07 })

    var namedParameters: [(name: String, tensor: Tensor)] {
        [("encoder.dense.weight", dense), ("encoder.dense.bias", bias),
         ("embeddings.LayerNorm.weight", norm), ("classifier.weight", classifier),
         ("embeddings.word_embeddings.weight", embeddings)]
    }
    var parameters: [(name: String, tensor: Tensor)] { namedParameters }

    /// Fresh gradients for `step`; one element of the matrix is always 0 and one tiny, so the
    /// epsilon and the decay-only path are exercised.
    func setGradients(step: Int, scale: Double, skipping: Set<String>) {
        for (k, (name, tensor)) in namedParameters.enumerated() {
            if skipping.contains(name) { tensor.grad = nil; continue }
            let values = (0..<tensor.count).map { i -> Float in
                if name == "encoder.dense.weight" && i == 1 { return 0 }
                if name == "encoder.dense.weight" && i == 4 { return 3e-9 }
                return Float(scale * sin(Double(7 * k + 3 * i + 11 * step) + 0.5))
            }
            tensor.grad = Tensor(shape: tensor.shape, values: values)
        }
    }
}

/// torch.optim.AdamW and clip_grad_norm_ as formulas, in Double.
private struct ReferenceAdamW {
    let weightDecay: [String: Double]
    let beta1: Double, beta2: Double, epsilon: Double
    var parameters: [String: [Double]] = [:]
    var m: [String: [Double]] = [:]
    var v: [String: [Double]] = [:]
    var steps: [String: Int] = [:]
    /// The (clipped) gradients of the current step; nil for a parameter without one.
    var gradients: [String: [Double]?] = [:]
    let names: [String]

    init(_ named: [(name: String, tensor: Tensor)], weightDecay: Double,
         beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        // The groups as generate.py builds them for the fixture: no decay on biases and LayerNorm.
        self.weightDecay = Dictionary(uniqueKeysWithValues: named.map {
            ($0.name, ($0.name.hasSuffix("bias") || $0.name.contains("LayerNorm")) ? 0 : weightDecay)
        })
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        names = named.map(\.name)
        for (name, tensor) in named {
            parameters[name] = tensor.values.map(Double.init)
            m[name] = Array(repeating: 0, count: tensor.count)
            v[name] = Array(repeating: 0, count: tensor.count)
            steps[name] = 0
        }
    }

    /// Reads the current gradients, clips them to `maxNorm` and returns the norm before clipping.
    mutating func clip(_ named: [(name: String, tensor: Tensor)], maxNorm: Double) -> Double {
        var sum = 0.0
        for (name, tensor) in named {
            let g = tensor.grad?.values.map(Double.init)
            gradients[name] = g
            sum += g?.reduce(0) { $0 + $1 * $1 } ?? 0
        }
        let total = sum.squareRoot()
        let coefficient = maxNorm / (total + 1e-6)
        if coefficient < 1 {
            for name in names { if let g = gradients[name]! { gradients[name] = g.map { $0 * coefficient } } }
        }
        return total
    }

    mutating func step(learningRate lr: Double) {
        for name in names {
            guard let g = gradients[name] ?? nil else { continue }
            let t = steps[name]! + 1
            steps[name] = t
            let wd = weightDecay[name]!
            var p = parameters[name]!, mm = m[name]!, vv = v[name]!
            let bc1 = 1 - Foundation.pow(beta1, Double(t))
            let bc2 = 1 - Foundation.pow(beta2, Double(t))
            for i in p.indices {
                p[i] -= lr * wd * p[i]
                mm[i] = beta1 * mm[i] + (1 - beta1) * g[i]
                vv[i] = beta2 * vv[i] + (1 - beta2) * g[i] * g[i]
                p[i] -= (lr / bc1) * mm[i] / (vv[i].squareRoot() / bc2.squareRoot() + epsilon)
            }
            parameters[name] = p
            m[name] = mm
            v[name] = vv
        }
    }

    /// Lets a test set gradients without clipping.
    mutating func readGradients(_ named: [(name: String, tensor: Tensor)]) {
        for (name, tensor) in named { gradients[name] = tensor.grad?.values.map(Double.init) }
    }
}

/// |actual - expected| <= tolerance * max(1, |expected|) element-wise.
private func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double, _ message: String,
                         file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        XCTAssertEqual(Double(a), e, accuracy: tolerance * max(1, abs(e)), "\(message) [\(i)]", file: file, line: line)
    }
}

/// Moments span many magnitudes: |actual - expected| <= 1e-5 |expected| + 1e-20.
private func assertRelativelyClose(_ actual: [Float], _ expected: [Double], _ message: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        XCTAssertEqual(Double(a), e, accuracy: 1e-5 * abs(e) + 1e-20, "\(message) [\(i)]", file: file, line: line)
    }
}
