import Foundation
import XCTest
import Tensor
import Backbone
import Heads

/// The masked-LM head on tiny-bert against transformers' BertForMaskedLM (Tests/Fixtures/masked-lm,
/// made by its generate.py): logits at the masked positions, the loss, every gradient (the tied
/// word embeddings' summed one included), 3 AdamW steps; and checkpoints in transformers' layout.
final class MaskedLMHeadTests: XCTestCase {
    static let folder = Fixtures.root.appendingPathComponent("masked-lm/tiny-bert-mlm")

    static func load(_ url: URL = folder, warn: @escaping (String) -> Void = { XCTFail("unexpected warning: \($0)") }) throws -> (TaskModel, MaskedLMHead) {
        var stream = RandomStream(key: 0)
        let model = try TaskModel.load(from: ModelFolder(url), descriptor: BuiltInHeads.maskedLM, labels: [], stream: &stream, warn: warn)
        return (model, try XCTUnwrap(model.head as? MaskedLMHead))
    }

    static func reference() throws -> (SafeTensorsFile, TokenBatch, [Int32]) {
        let file = try Fixtures.reference("masked-lm/reference.safetensors")
        return (file, try Fixtures.batch(from: file), try file.int32Values(named: "labels"))
    }

    func testTheDecoderIsTheWordEmbeddingMatrixListedOnce() throws {
        let (model, head) = try Self.load()
        XCTAssertTrue(head.decoderWeight === model.backbone.embeddings.wordEmbeddings.weight)
        let names = model.namedParameters.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(Set(model.namedParameters.map { ObjectIdentifier($0.tensor) }).count, names.count, "each tensor listed once")
        XCTAssertEqual(head.namedParameters.map(\.name), ["cls.predictions.bias", "cls.predictions.transform.dense.weight",
                                                          "cls.predictions.transform.dense.bias", "cls.predictions.transform.LayerNorm.weight",
                                                          "cls.predictions.transform.LayerNorm.bias"])
        XCTAssertFalse(names.contains { $0.contains("decoder") })
    }

    /// The first element of `actual` farther than `relative` times the tensor's scale (its largest
    /// |element|) from `expected`, or nil. Held to the scale, not to each element's own value: an
    /// element near zero carries the fp32 rounding of the large ones it is summed from (torch's own
    /// float32 gradients here are ~1e-6 of the scale from its float64 ones, elementwise up to 0.5%
    /// off on the smallest elements). 1e-6 absolute at least, for gradients that are zero in exact
    /// arithmetic (key biases: softmax ignores a constant shift) and so rounding noise on both sides.
    static func firstOutside(_ actual: [Float], _ expected: [Float], relative: Float) -> Int? {
        let bound = max(relative * (expected.map(abs).max() ?? 0), 1e-6)
        return actual.indices.first { abs(actual[$0] - expected[$0]) > bound }
    }

    /// Padded as transformers computes it, and with the backbone skipping padding (the default).
    func testLogitsLossAndEveryGradientAgainstTransformers() throws {
        for skipsPadding in [false, true] {
            let (model, head) = try Self.load()
            model.skipsPadding = skipsPadding
            let (reference, batch, labels) = try Self.reference()
            var stream = RandomStream(key: 0)
            let output = model(batch, training: false, stream: &stream)
            let rows = labels.indices.filter { labels[$0] != -100 }
            XCTAssertEqual(rows.count, 8)
            let logits = head.logits(output, rows: rows)
            let expected = try reference.tensor(named: "masked_logits")
            XCTAssertEqual(logits.shape, expected.shape)
            XCTAssertLessThanOrEqual(maxAbsoluteDifference(logits.values, expected.values), 1e-5, "logits, skipping padding: \(skipsPadding)")
            let loss = try head.loss(output, targets: TokenLabels(labels))
            XCTAssertEqual(loss.item, try reference.tensor(named: "loss").item, accuracy: 1e-5)
            loss.backward()
            var checked = 0
            for (name, parameter) in model.namedParameters {
                let expected = try reference.tensor(named: "grad." + name).values
                let actual = try XCTUnwrap(parameter.grad, name).values
                if let i = Self.firstOutside(actual, expected, relative: 1e-4) {
                    XCTFail("grad.\(name)[\(i)]: \(actual[i]) vs torch \(expected[i]) (skipping padding: \(skipsPadding))")
                }
                checked += 1
            }
            XCTAssertEqual(checked, 42)
        }
    }

    /// The tied matrix's gradient is the sum of the decoder's use and the embedding lookup's: each
    /// alone is far from transformers' (so the test above could not pass with either).
    func testTheWordEmbeddingGradientSumsBothUses() throws {
        let (model, head) = try Self.load()
        let (reference, batch, labels) = try Self.reference()
        let expected = try reference.tensor(named: "grad.bert.embeddings.word_embeddings.weight").values
        let words = model.backbone.embeddings.wordEmbeddings.weight
        var stream = RandomStream(key: 0)
        let output = model(batch, training: false, stream: &stream)
        // the decoder's share alone: its input detached from the backbone
        let states = output[MaskedLMHead.statesOutput]!.detached()
        try head.loss(HeadOutput([MaskedLMHead.statesOutput: states]), targets: TokenLabels(labels)).backward()
        let decoderShare = words.grad!.values
        model.releaseGradients()
        try head.loss(output, targets: TokenLabels(labels)).backward()
        let both = words.grad!.values
        let lookupShare = zip(both, decoderShare).map { $0 - $1 }
        let scale = expected.map(abs).max()!
        XCTAssertLessThanOrEqual(maxAbsoluteDifference(both, expected), 1e-4 * scale)
        XCTAssertGreaterThan(maxAbsoluteDifference(decoderShare, expected), 1e-2 * scale, "the lookup's share matters")
        XCTAssertGreaterThan(maxAbsoluteDifference(lookupShare, expected), 1e-2 * scale, "the decoder's share matters")
    }

    /// 3 AdamW steps (lr 1e-3, weight decay 0.01 except biases and LayerNorm, clip 1.0, the same
    /// batch), as generate.py ran them: the losses and every parameter after, within 1e-4.
    func testThreeAdamWStepsWithClipping() throws {
        let (model, head) = try Self.load()
        let (reference, batch, labels) = try Self.reference()
        let parameters = model.namedParameters
        let optimizer = AdamW(parameters: parameters, weightDecay: 0.01)
        let expectedLosses = try reference.tensor(named: "adamw.losses").values
        for step in 0..<3 {
            model.releaseGradients()
            var stream = RandomStream(key: 0)
            let loss = try head.loss(model(batch, training: false, stream: &stream), targets: TokenLabels(labels))
            XCTAssertEqual(loss.item, expectedLosses[step], accuracy: 1e-4 * abs(expectedLosses[step]), "loss before step \(step + 1)")
            loss.backward()
            for (_, p) in parameters { _ = p.gradBuffer() }
            let (_, clip) = GradientClipping.clipCoefficient(of: parameters.map(\.tensor), maxNorm: 1.0)
            optimizer.step(learningRate: 1e-3, gradientScale: clip)
        }
        // Adam divides each step by sqrt(v) ~ |g|: an element whose gradient is zero in exact
        // arithmetic (key biases) moves by up to lr per step in a direction torch's rounding noise
        // picks, which neither side can reproduce; those are held to 3·lr, every other element to
        // 1e-4 of its tensor's scale (as the gradients above).
        for (name, parameter) in parameters {
            let expected = try reference.tensor(named: "adamw.param." + name).values
            let firstGradient = try reference.tensor(named: "grad." + name).values
            let noiseOnly = firstGradient.map(abs).max()! < 1e-6
            let actual = parameter.values
            if noiseOnly {
                XCTAssertLessThanOrEqual(maxAbsoluteDifference(actual, expected), 3e-3, name)
            } else if let i = Self.firstOutside(actual, expected, relative: 1e-4) {
                XCTFail("\(name)[\(i)] after 3 steps: \(actual[i]) vs torch \(expected[i])")
            }
        }
    }

    /// What BertKit saves is what transformers 5 saved: the same tensor names (the tied decoder
    /// once, as the word embeddings; `cls.predictions.bias` alone) and values, and the architecture.
    func testSavedCheckpointHasTransformersLayout() throws {
        let (model, _) = try Self.load()
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try model.save(to: folder)
        let saved = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("model.safetensors"))
        let original = try SafeTensorsFile(contentsOf: Self.folder.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(saved.names.sorted(), original.names.sorted())
        for name in original.names {
            XCTAssertEqual(try saved.tensor(named: name).values, try original.tensor(named: name).values, name)
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
        XCTAssertEqual(config?["architectures"] as? [String], ["BertForMaskedLM"])
    }

    /// Older files name the bias `cls.predictions.decoder.bias`, or hold both names and the tied
    /// decoder weight too: every one loads the same head.
    func testEitherBiasNameLoads() throws {
        let (model, head) = try Self.load()
        let bias = head.bias.values
        XCTAssertGreaterThan(bias.map(abs).max()!, 0.1)
        let tensors = model.namedParameters
        for variant in ["decoder bias only", "both names and the decoder weight"] {
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            for file in ["config.json", "tokenizer.json", "tokenizer_config.json"] {
                try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(file), to: folder.appendingPathComponent(file))
            }
            var written = tensors.filter { $0.name != "cls.predictions.bias" }
            written.append(("cls.predictions.decoder.bias", head.bias))
            if variant.hasPrefix("both") {
                written += [("cls.predictions.bias", head.bias), ("cls.predictions.decoder.weight", head.decoderWeight)]
            }
            try SafeTensors.write(written, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
            let (_, loaded) = try Self.load(folder)
            XCTAssertEqual(loaded.bias.values, bias, variant)
            XCTAssertEqual(loaded.transformDense.weight.values, head.transformDense.weight.values, variant)
        }
    }

    /// A checkpoint without cls.* (tiny-bert, like all-MiniLM-L6-v2, is a bare BertModel) starts
    /// the head as transformers does, and says so.
    func testCheckpointWithoutHeadStartsFreshWithAWarning() throws {
        var warnings: [String] = []
        let (model, head) = try Self.load(Fixtures.tinyBert, warn: { warnings.append($0) })
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("cls.predictions.bias") ?? false, warnings.first ?? "")
        XCTAssertTrue(warnings.first?.contains("starts fresh") ?? false)
        XCTAssertEqual(head.bias.values, Array(repeating: 0, count: 2000))
        XCTAssertEqual(head.transformLayerNorm.weight.values, Array(repeating: 1, count: 32))
        let w = head.transformDense.weight.values
        let std = (w.map { $0 * $0 }.reduce(0, +) / Float(w.count)).squareRoot()
        XCTAssertEqual(std, 0.02, accuracy: 0.003, "N(0, initializer_range)")
        XCTAssertTrue(head.decoderWeight === model.backbone.embeddings.wordEmbeddings.weight)
    }

    func testHeadNeedsTheBackbone() {
        XCTAssertThrowsError(try BuiltInHeads.maskedLM.make(HeadContext(config: BertConfig(), labels: []))) { error in
            XCTAssertTrue("\(error)".contains("TaskModel.load"), "\(error)")
        }
    }

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-mlm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
