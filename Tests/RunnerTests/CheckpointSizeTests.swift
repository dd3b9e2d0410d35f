import Backbone
import Foundation
import Tensor
import XCTest
@testable import Runner

/// Sizes and counts a checkpoint folder's own files give (config.json's num_labels and
/// vocab_size against the tokenizer, bertkit.json's max_seq_length, trainer_state's steps) that
/// used to trap or to index past a table mid-run: each is refused when the folder is read,
/// naming the file.
final class CheckpointSizeTests: XCTestCase {
    override func setUp() { BuiltIns.register() }

    /// A copy of a transformers checkpoint of Tests/Fixtures/hf-checkpoints (tiny-bert, hidden 32).
    private func copy(_ head: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-sizes-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: BertKitProcess.fixtures.appendingPathComponent("hf-checkpoints/\(head)"), to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func editConfig(_ folder: URL, _ edit: (inout [String: JSONValue]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var config = try JSONDecoder().decode([String: JSONValue].self, from: Data(contentsOf: url))
        edit(&config)
        try JSONEncoder().encode(config).write(to: url)
    }

    private func loadError(_ folder: URL) -> String {
        do {
            _ = try ServableModel.load(folder, warn: { _ in })
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    func testANumLabelsPastTheCheckpointIsRefusedBeforeNamingTheClasses() throws {
        let folder = try copy("sequence-classification")
        let config = folder.appendingPathComponent("config.json").path, weights = folder.appendingPathComponent("model.safetensors")
        let held = try SafeTensorsFile(contentsOf: weights).totalElementCount
        // 10^12 LABEL_i names were made before anything else could object
        try editConfig(folder) { $0["id2label"] = nil; $0["label2id"] = nil; $0["num_labels"] = .number(1e12) }
        XCTAssertEqual(loadError(folder), "\(config): key `num_labels`: 1000000000000 classes need a classifier of 1000000000000 x 32 "
                       + "weights, more than the \(held) values \(weights.path) holds")
        // Int(1e20) trapped
        try editConfig(folder) { $0["num_labels"] = .number(1e20) }
        XCTAssertEqual(loadError(folder), "\(config): key `num_labels`: 1e+20 is too large for a 64-bit integer")
        try editConfig(folder) { $0["num_labels"] = .number(3) }
        XCTAssertEqual(try ServableModel.load(folder, warn: { _ in }).labels, ["LABEL_0", "LABEL_1", "LABEL_2"])
    }

    func testAVocabularyLargerThanTheEmbeddingsIsRefused() throws {
        let folder = try copy("sequence-classification")
        try editConfig(folder) { $0["vocab_size"] = .number(1500) }
        XCTAssertEqual(loadError(folder), "\(folder.appendingPathComponent("config.json").path): key `vocab_size`: 1500 is less than the "
                       + "2000 tokens of \(folder.appendingPathComponent("vocab.txt").path): token ids from 1500 on would have no embedding")
    }

    func testAManifestMaxSeqLengthPastThePositionsIsRefused() throws {
        let folder = try copy("sequence-classification")
        let manifest = CheckpointStore.Manifest(task: "t", head: "sequence-classification", headConfig: ["pooling": .string("pooler")],
                                                taskKind: "sequence-classification", labels: ["negative", "positive"],
                                                maxSeqLength: 100_000)
        let url = folder.appendingPathComponent("bertkit.json")
        try JSONEncoder().encode(manifest).write(to: url)
        XCTAssertEqual(loadError(folder), "\(url.path): max_seq_length 100000 is more than the model reads: max_position_embeddings "
                       + "is 64 in \(folder.appendingPathComponent("config.json").path)")
    }

    func testManifestCountsThatWouldTrapAreRefused() throws {
        let folder = try copy("question-answering")
        let url = folder.appendingPathComponent("bertkit.json")
        let manifest = CheckpointStore.Manifest(task: "t", head: "span-extraction", headConfig: [:], taskKind: "span-extraction",
                                                labels: [], maxSeqLength: 48, docStride: 16, maxAnswerLength: 30, nBestSize: 20)
        try JSONEncoder().encode(manifest).write(to: url)
        XCTAssertEqual(try ServableModel.load(folder, warn: { _ in }).nBestSize, 20)
        // prefix(-1) in the answer search stopped the process at the first question
        var negative = manifest
        negative.nBestSize = -1
        try JSONEncoder().encode(negative).write(to: url)
        XCTAssertEqual(loadError(folder), "\(url.path): `nBestSize` is -1; it must be at least 1")
        var short = manifest
        short.maxSeqLength = 0
        try JSONEncoder().encode(short).write(to: url)
        XCTAssertEqual(loadError(folder), "\(url.path): `maxSeqLength` is 0; it must be at least 3")
    }

    /// `folder`'s checkpoint cut to one token type, in its weights and its config.json.
    private func keepOneTokenType(_ folder: URL) throws {
        let weights = folder.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(contentsOf: weights)
        let tensors = try file.names.filter { !$0.hasSuffix("position_ids") }.map { name -> (name: String, tensor: Tensor) in
            let tensor = try file.tensor(named: name)
            return (name, name.hasSuffix("token_type_embeddings.weight") ? Tensor(shape: [1, 32], values: Array(tensor.values.prefix(32))) : tensor)
        }
        try SafeTensors.write(tensors, to: weights)
        try editConfig(folder) { $0["type_vocab_size"] = .number(1) }
    }

    func testATextPairForAModelOfOneTokenTypeIsRefused() throws {
        let folder = try copy("sequence-classification")
        try keepOneTokenType(folder)
        let servable = try ServableModel.load(folder, warn: { _ in })
        XCTAssertEqual(try servable.features(for: [.object(["text": .string("one text")])]).count, 1)
        // the pair's type ids of 1 stopped the process in the embedding lookup
        let inputs: [JSONValue] = [.object(["text": .string("one")]), .object(["text": .string("a"), "text_pair": .string("b")])]
        XCTAssertThrowsError(try servable.features(for: inputs)) { error in
            XCTAssertEqual("\(error)", "input 2 is a text pair, but \(folder.appendingPathComponent("config.json").path) has "
                           + "type_vocab_size 1: the model reads single texts only")
        }
    }

    func testATaskOfTextPairsOnAModelOfOneTokenTypeIsRefusedBeforeTraining() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-pairs-\(UUID().uuidString)")
        let taskFile = try SyntheticTask.write(to: folder, trainCount: 8, devCount: 4)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("model")
        try FileManager.default.copyItem(at: BertKitProcess.fixtures.appendingPathComponent("tiny-bert"), to: model)
        try keepOneTokenType(model)
        for name in ["train.tsv", "dev.tsv"] {
            let url = folder.appendingPathComponent(name)
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line -> String in
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                return [String(fields[0]), fields[0] == "sentence" ? "pair" : "a b", String(fields[1])].joined(separator: "\t")
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        }
        let yaml = try String(contentsOf: taskFile, encoding: .utf8)
            .replacingOccurrences(of: BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path, with: model.path)
            .replacingOccurrences(of: "text: sentence,", with: "text: sentence, text_pair: pair,")
        try Data(yaml.utf8).write(to: taskFile)
        let result = try BertKitProcess.run(["run", taskFile.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("task `has-z`: its features are text pairs, but \(model.appendingPathComponent("config.json").path) "
                                             + "has type_vocab_size 1: the model reads single texts only"), result.stderr)
    }

    func testBenchRefusesSequencesPastThePositions() throws {
        // position ids past tiny-bert's 64 stopped the process in the embedding lookup
        let model = BertKitProcess.fixtures.appendingPathComponent("tiny-bert").path
        let result = try BertKitProcess.run(["bench", "infer", "--model", model, "--seq", "128", "--steps", "5"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--seq 128 is more than \(model) reads: its max_position_embeddings is 64"), result.stderr)
        let zero = try BertKitProcess.run(["bench", "infer", "--seq", "0"])
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.stderr.contains("--seq must be at least 1"), zero.stderr)
    }

    private func state(_ edit: (inout TrainerState) -> Void) throws -> URL {
        var state = TrainerState(globalStep: 12, epoch: 1, stepInEpoch: 2, totalSteps: 30, streams: RandomStreams(seed: 1),
                                 optimizer: AdamWStateMetadata(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, parameters: []),
                                 best: nil, evaluationsWithoutImprovement: 0, history: [], ranks: nil)
        edit(&state)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-state-\(UUID().uuidString).json")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try JSONEncoder().encode(state).write(to: url)
        return url
    }

    private func readError(_ url: URL) -> String {
        do {
            _ = try TrainerState.read(from: url)
            return "read"
        } catch {
            return "\(error)"
        }
    }

    func testTrainerStateCountsThatWouldTrapAreRefused() throws {
        XCTAssertEqual(try TrainerState.read(from: state { _ in }).globalStep, 12)
        // groups[stepInEpoch] and UInt64(epoch) trapped on these
        let negative = try state { $0.stepInEpoch = -1 }
        XCTAssertEqual(readError(negative), "\(negative.path): `stepInEpoch` is -1; a saved count is never negative")
        let epoch = try state { $0.epoch = -4 }
        XCTAssertEqual(readError(epoch), "\(epoch.path): `epoch` is -4; a saved count is never negative")
        let ahead = try state { $0.epoch = Int.max }
        XCTAssertEqual(readError(ahead), "\(ahead.path): `epoch` is \(Int.max); more than the 12 steps done (globalStep)")
        let ranks = try state { $0.ranks = 0 }
        XCTAssertEqual(readError(ranks), "\(ranks.path): `ranks` is 0; a run has at least one process")
        // a number past Int is a decoding error that names the file, not a trap
        let huge = try state { _ in }
        let text = try String(contentsOf: huge, encoding: .utf8).replacingOccurrences(of: "\"globalStep\":12", with: "\"globalStep\":1e20")
        try text.write(to: huge, atomically: true, encoding: .utf8)
        XCTAssertTrue(readError(huge).hasPrefix("\(huge.path): not a trainer state BertKit can read ("), readError(huge))
    }
}
