import Foundation
import XCTest
import Backbone
@testable import Tasks
import Tokenizers
import TaskFile

/// Windows, alignment and document context, with the tiny fixture model's tokenizer (its vocab
/// holds single characters and "the", "of", "and", "in"; other words become [UNK]).
final class NERWindowTests: XCTestCase {
    static let tinyBert = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-bert")

    func tokenizer() throws -> BertTokenizer { try BertTokenizer(modelFolder: Self.tinyBert) }

    func testPiecesOverlapAtWordBoundariesAndEveryWordHasOneOwner() {
        let counts = [1, 3, 2, 1, 1, 4, 1, 2, 2, 1, 3, 1]
        let pieces = NERWindows.pieces(tokenCounts: counts, budget: 6)
        // whole words, each window as long as fits, the next starting at the first word at
        // least 3 tokens (half the budget) after the previous start (worked out by hand)
        XCTAssertEqual(pieces, [0..<3, 2..<5, 4..<7, 6..<10, 8..<11, 10..<12])
        for piece in pieces { XCTAssertLessThanOrEqual(counts[piece].reduce(0, +), 6) }
        // Owner = largest min(tokens before, tokens after) in the window, a sentence end being no
        // edge; ties to the earlier window. E.g. word 3: 2 before / 1 after in window 1 -> 1;
        // word 9: 0 after in window 3, 2 before / 3 after in window 4 -> 4.
        XCTAssertEqual(NERWindows.owners(of: pieces, tokenCounts: counts), [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5])
        // a sentence that fits is one window
        XCTAssertEqual(NERWindows.pieces(tokenCounts: [2, 2, 2], budget: 6), [0..<3])
        XCTAssertEqual(NERWindows.pieces(tokenCounts: [], budget: 6), [0..<0])
    }

    /// A 300-word sentence with max_seq_length 32 gets exactly one prediction per word, through
    /// the task kind: features -> outputs -> evaluate.
    func testA300WordSentenceGetsOnePredictionPerWord() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ner-windows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // words of 1 token ("a", "the"), 5 tokens ("x.y.z": pre-split on punctuation), and none
        // at all (a zero-width space, a bell control character: they get [UNK])
        let vocabulary = ["a", "the", "x.y.z", "\u{200B}", "\u{07}", "b", "of"]
        var lines: [String] = []
        for i in 0..<300 {
            let tag = i % 7 == 5 ? "B-X" : (i % 7 == 6 ? "I-X" : "O")
            lines.append("\(vocabulary[i % vocabulary.count])\t\(tag)")
        }
        let url = folder.appendingPathComponent("long.txt")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        var data = DataSpec(format: .conll)
        data.eval = url
        data.tagColumn = 1
        data.labels = ["O", "B-X", "I-X"]
        var spec = TaskSpec(name: "long", head: "token-classification", data: data, model: Self.tinyBert)
        spec.training.maxSeqLength = 32
        let tokenizer = try tokenizer()
        let task = try TokenClassificationTask(context: TaskKindContext(spec: spec, tokenizer: tokenizer, checkpointLabels: nil, warn: { _ in }))
        let features = try task.features(.eval)
        XCTAssertGreaterThan(features.count, 10, "split into many windows")
        for feature in features {
            XCTAssertLessThanOrEqual(feature.length, 32)
            XCTAssertEqual(feature.inputIDs.first, Int32(tokenizer.clsId))
            XCTAssertEqual(feature.inputIDs.last, Int32(tokenizer.sepId))
        }
        // The zero-token words stand as [UNK], labelled.
        let first = try XCTUnwrap(features.first?.inputIDs)
        XCTAssertEqual(Array(first[1..<12]).map { tokenizer.vocabulary.token(of: Int($0))! },
                       ["a", "the", "x", ".", "y", ".", "z", "[UNK]", "[UNK]", "b", "of"])
        // a, the, x (.y.z: -100), [UNK], [UNK], b (B-X), of (I-X)
        XCTAssertEqual(Array(features[0].tokenLabels![1..<12]), [0, 0, 0, -100, -100, -100, -100, 0, 0, 1, 2])

        // Logits that vote for gold at every labelled token: every word is predicted once, from
        // its first sub-token, so the predictions equal gold.
        let k = 3
        let outputs = features.map { feature in
            FeatureOutput(values: ["logits": feature.tokenLabels!.flatMap { label in
                (0..<k).map { Float($0 == Int(label) ? 5 : 0) }
            }])
        }
        let evaluation = try task.evaluate(.eval, outputs: outputs)
        XCTAssertEqual(evaluation.metrics["f1"], 1)
        XCTAssertEqual(evaluation.metrics["accuracy"], 1)
        XCTAssertEqual(evaluation.predictions.count, 1)
        struct Line: Decodable { var words: [String]; var predicted: [String]; var gold: [String] }
        let line = try JSONDecoder().decode(Line.self, from: Data(evaluation.predictions[0].utf8))
        XCTAssertEqual(line.words.count, 300)
        XCTAssertEqual(line.predicted, line.gold)
        let conll = String(decoding: try XCTUnwrap(evaluation.files["predictions.conll"]), as: UTF8.self)
        XCTAssertEqual(conll.split(separator: "\n").count, 300)

        // A window that votes wrong ("O") on the words it does not own changes nothing: each
        // word's prediction comes from its owner only, so one wrong vote per word would show.
        var owners = [Int](repeating: -1, count: 300)
        let votes: [FeatureOutput] = features.indices.map { f in
            var logits = outputs[f].values["logits"]!
            let plan = task.featurePlans(.eval)[f]
            for (word, position) in zip(plan.words, plan.positions) {
                XCTAssertEqual(owners[word], -1, "word \(word) has two owners")
                owners[word] = f
                XCTAssertEqual(features[f].tokenLabels![position], Int32(["O", "B-X", "I-X"].firstIndex(of: lines[word].split(separator: "\t")[1].description)!))
            }
            let ownedPositions = Set(plan.positions)
            for t in features[f].tokenLabels!.indices where !ownedPositions.contains(t) {
                for j in 0..<k { logits[t * k + j] = j == 0 ? 9 : 0 }
            }
            return FeatureOutput(values: ["logits": logits])
        }
        XCTAssertFalse(owners.contains(-1), "every word has an owner")
        XCTAssertEqual(try task.evaluate(.eval, outputs: votes).metrics["f1"], 1)
    }

    func testLabelAllTokensGivesLaterSubTokensTheIVersion() throws {
        let encoder = NERFeatureEncoder(tokenizer: try tokenizer(), maxSeqLength: 64, documentContext: false,
                                        labelAllTokens: true, labels: ["O", "B-X", "I-X"])
        let sentence = CoNLLSentence(words: ["a.b", "c.d", "e"], tags: ["B-X", "I-X", "O"], line: 1)
        let (features, plans) = encoder.encode([sentence], wordTokens: encoder.wordTokens([sentence.words]))
        XCTAssertEqual(features.count, 1)
        XCTAssertEqual(features[0].tokenLabels, [-100, 1, 2, 2, 2, 2, 2, 0, -100])
        XCTAssertEqual(plans[0].positions, [1, 4, 7])
        let firstOnly = NERFeatureEncoder(tokenizer: try tokenizer(), maxSeqLength: 64, documentContext: false,
                                          labelAllTokens: false, labels: ["O", "B-X", "I-X"])
        XCTAssertEqual(firstOnly.encode([sentence], wordTokens: firstOnly.wordTokens([sentence.words])).features[0].tokenLabels,
                       [-100, 1, -100, -100, 2, -100, -100, 0, -100])
    }

    func testDocumentContextPutsLossOnlyOnTheCentreSentence() throws {
        let tokenizer = try tokenizer()
        let encoder = NERFeatureEncoder(tokenizer: tokenizer, maxSeqLength: 12, documentContext: true,
                                        labelAllTokens: false, labels: ["O", "B-X"])
        // document 0: three sentences; document 1: one sentence (no context from document 0)
        let sentences = [
            CoNLLSentence(words: ["a", "b", "c"], tags: ["O", "B-X", "O"], line: 1, document: 0),
            CoNLLSentence(words: ["d", "e"], tags: ["B-X", "O"], line: 5, document: 0),
            CoNLLSentence(words: ["f", "g", "h", "i"], tags: ["O", "O", "B-X", "O"], line: 8, document: 0),
            CoNLLSentence(words: ["j"], tags: ["B-X"], line: 13, document: 1),
        ]
        let (features, plans) = encoder.encode(sentences, wordTokens: encoder.wordTokens(sentences.map(\.words)))
        XCTAssertEqual(features.count, 4)
        func tokens(_ f: Int) -> [String] { features[f].inputIDs.map { tokenizer.vocabulary.token(of: Int($0))! } }
        // budget 10: the centre "d e" (2) gets 4 to the left ("a b c" fit, 3) then the right "f g h i" (4), then
        // nothing more fits on the left
        XCTAssertEqual(tokens(1), ["[CLS]", "a", "b", "c", "d", "e", "f", "g", "h", "i", "[SEP]"])
        XCTAssertEqual(features[1].tokenLabels, [-100, -100, -100, -100, 1, 0, -100, -100, -100, -100, -100])
        XCTAssertEqual(plans[1], NERFeaturePlan(sentence: 1, words: [0, 1], positions: [4, 5]))
        // the first sentence has no left context: the right side takes the room
        XCTAssertEqual(tokens(0), ["[CLS]", "a", "b", "c", "d", "e", "f", "g", "h", "i", "[SEP]"])
        XCTAssertEqual(features[0].tokenLabels, [-100, 0, 1, 0, -100, -100, -100, -100, -100, -100, -100])
        XCTAssertEqual(features[2].tokenLabels, [-100, -100, -100, -100, -100, -100, 0, 0, 1, 0, -100])
        // a document of its own: no context from the other one
        XCTAssertEqual(tokens(3), ["[CLS]", "j", "[SEP]"])
        XCTAssertEqual(features[3].tokenLabels, [-100, 1, -100])
        // Everywhere: labelled positions are exactly the centre sentence's words.
        for (feature, sentence) in zip(features, [0, 1, 2, 3]) {
            XCTAssertEqual(feature.tokenLabels!.filter { $0 != -100 }.count, sentences[sentence].words.count)
        }
    }

    func testDocumentContextFillsHalfLeftThenRight() {
        // centre = words 4..<6 (3 tokens) in a document of 1-token and 2-token words, budget 9:
        // free 6 -> the left takes up to 3 (words 3 and 2: 1 + 2), the right the other 3 (words 6, 7, 8).
        let counts = [1, 1, 2, 1, 2, 1, 1, 1, 1, 1]
        XCTAssertEqual(NERWindows.context(around: 4..<6, tokenCounts: counts, budget: 9), 2..<9)
        // at the document's end (centre 2 tokens, free 7): the left takes 3 (words 7, 6, 5), the
        // right nothing, then the left the remaining 4 as far as whole words fit (words 4, 3: 2 + 1;
        // word 2 has 2 tokens, 1 left)
        XCTAssertEqual(NERWindows.context(around: 8..<10, tokenCounts: counts, budget: 9), 3..<10)
    }
}
