import Foundation
import XCTest
@testable import Tasks
import Tokenizers

/// Windows and start/end labels as run_qa.py's prepare_train_features.
final class QAFeatureTests: XCTestCase {
    /// "where did the cat sit ?" is 6 tokens and every context word one token, so with
    /// max_seq_length 12 a window holds 12 - 3 - 6 = 3 context tokens; stride 2 moves it by one:
    /// (the cat sat) (cat sat on) (sat on the) (on the mat). The context starts at position 8.
    func testLabelsByHandOnSmallWindows() throws {
        let encoder = QAFeatureEncoder(tokenizer: try QAFixtures.tokenizer(), maxSeqLength: 12, docStride: 2)
        let context = "the cat sat on the mat"
        let input = QAFeatureEncoder.Input(id: "q", question: "   where did the cat sit?", context: context,
                                           answer: 15..<22, labelled: true)        // "the mat"
        let (features, windows) = try encoder.encode([input])
        XCTAssertEqual(features.count, 4)
        XCTAssertEqual(features.map(\.length), [12, 12, 12, 12])
        // only the last window holds the whole answer: "on"(8) "the"(9) "mat"(10)
        XCTAssertEqual(features.map(\.startPosition), [0, 0, 0, 9])
        XCTAssertEqual(features.map(\.endPosition), [0, 0, 0, 10])
        XCTAssertEqual(windows.map(\.exampleIndex), [0, 0, 0, 0])
        XCTAssertEqual(windows[3].contextOffsets, [nil, nil, nil, nil, nil, nil, nil, nil, 12..<14, 15..<18, 19..<22, nil])

        // "cat" (4..<7) is in windows 1 and 2 at position 8, and in window 0 at position 9
        let cat = QAFeatureEncoder.Input(id: "q", question: "where did the cat sit?", context: context, answer: 4..<7, labelled: true)
        let catFeatures = try encoder.encode([cat]).features
        XCTAssertEqual(catFeatures.map(\.startPosition), [9, 8, 0, 0])
        XCTAssertEqual(catFeatures.map(\.endPosition), [9, 8, 0, 0])
        // the leading spaces of the question are dropped (lstrip): same tokens
        XCTAssertEqual(catFeatures.map(\.inputIDs), features.map(\.inputIDs))
    }

    func testUnanswerableAndUnlabelledQuestions() throws {
        let encoder = QAFeatureEncoder(tokenizer: try QAFixtures.tokenizer(), maxSeqLength: 12, docStride: 2)
        let context = "the cat sat on the mat"
        let impossible = try encoder.encode([.init(id: "a", question: "where did the cat sit?", context: context, answer: nil, labelled: true)])
        XCTAssertEqual(impossible.features.map(\.startPosition), [0, 0, 0, 0])
        XCTAssertEqual(impossible.features.map(\.endPosition), [0, 0, 0, 0])
        let unlabelled = try encoder.encode([.init(id: "b", question: "where did the cat sit?", context: context, answer: nil, labelled: false)])
        XCTAssertTrue(unlabelled.features.allSatisfy { $0.startPosition == nil && $0.endPosition == nil })
    }

    func testAnswerInTheLastContextTokenIsLabelledThere() throws {
        // "mat" starts in the window's last context token: run_qa.py would walk onto [SEP] (11);
        // BertKit labels the token itself (10).
        let encoder = QAFeatureEncoder(tokenizer: try QAFixtures.tokenizer(), maxSeqLength: 12, docStride: 2)
        let f = try encoder.encode([.init(id: "q", question: "where did the cat sit?", context: "the cat sat on the mat",
                                          answer: 19..<22, labelled: true)]).features
        XCTAssertEqual(f.map(\.startPosition), [0, 0, 0, 10])
        XCTAssertEqual(f.map(\.endPosition), [0, 0, 0, 10])
    }

    func testQuestionTooLongForTheWindowNamesTheQuestion() throws {
        let encoder = QAFeatureEncoder(tokenizer: try QAFixtures.tokenizer(), maxSeqLength: 8, docStride: 2)
        XCTAssertThrowsError(try encoder.encode([.init(id: "fine", question: "why?", context: "the cat sat on the mat", answer: nil, labelled: false),
                                                 .init(id: "long-one", question: "where did the cat sit today?", context: "the cat sat", answer: nil, labelled: false)])) {
            XCTAssertTrue("\($0)".contains("`long-one`"), "\($0)")
        }
    }

    /// Every window of the Hugging Face fixture (question, context, max_length, stride) comes out
    /// with the same ids as the fixture's unpadded tokens; the context offsets are the fixture's
    /// where its sequence id is 1.
    func testWindowsMatchHuggingFace() throws {
        let encoder = try QAFixtures.tokenizer()
        var compared = 0
        for row in try QAFixtures.windowRows() {
            let (features, windows) = try QAFeatureEncoder(tokenizer: encoder, maxSeqLength: row.max_length, docStride: row.stride)
                .encode([.init(id: "x", question: row.question, context: row.context, answer: nil, labelled: false)])
            XCTAssertEqual(features.count, row.windows.count, row.question)
            for (i, (feature, window)) in zip(features, windows).enumerated() where i < row.windows.count {
                let reference = row.windows[i]
                let real = reference.attention_mask.filter { $0 == 1 }.count
                XCTAssertEqual(reference.attention_mask[..<real].allSatisfy { $0 == 1 }, true)
                XCTAssertEqual(feature.inputIDs.map(Int.init), Array(reference.ids[..<real]), "\(row.question) window \(i)")
                let expected: [Range<Int>?] = zip(reference.offsets, reference.sequence_ids).prefix(real).map { $1 == 1 ? $0[0]..<$0[1] : nil }
                XCTAssertEqual(window.contextOffsets, expected, "\(row.question) window \(i)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 100)
    }

    /// On the real article with max_seq_length 64 and doc_stride 16: a window is labelled at the
    /// answer exactly when its context holds the whole answer, and then the labelled tokens are
    /// the smallest run of tokens that covers it.
    func testLabelsOnTheArticleAgreeWithTheWindows() throws {
        let dataset = try SquadReader.read(url: QAFixtures.article)
        let encoder = QAFeatureEncoder(tokenizer: try QAFixtures.tokenizer(), maxSeqLength: 64, docStride: 16)
        let inputs = dataset.examples.map { example in
            QAFeatureEncoder.Input(id: example.id, question: example.question, context: example.context,
                                   answer: example.answers[0].start..<example.answers[0].end, labelled: true)
        }
        let (features, windows) = try encoder.encode(inputs)
        XCTAssertGreaterThan(features.count, 2 * inputs.count, "contexts of 500-1600 characters need several windows")
        var answered = Set<Int>()
        for (feature, window) in zip(features, windows) {
            let answer = inputs[window.exampleIndex].answer!
            let context = window.contextOffsets.compactMap { $0 }
            let inside = context.first!.lowerBound <= answer.lowerBound && context.last!.upperBound >= answer.upperBound
            let start = Int(feature.startPosition!), end = Int(feature.endPosition!)
            if !inside {
                XCTAssertEqual([start, end], [0, 0])
                continue
            }
            answered.insert(window.exampleIndex)
            let s = try XCTUnwrap(window.contextOffsets[start]), e = try XCTUnwrap(window.contextOffsets[end])
            XCTAssertLessThanOrEqual(start, end)
            XCTAssertLessThanOrEqual(s.lowerBound, answer.lowerBound)
            XCTAssertGreaterThanOrEqual(e.upperBound, answer.upperBound)
            // smallest: the next token starts after the answer's start, the previous ends before its end
            if let next = window.contextOffsets[start + 1] { XCTAssertGreaterThan(next.lowerBound, answer.lowerBound) }
            if let previous = window.contextOffsets[end - 1], end > start { XCTAssertLessThan(previous.upperBound, answer.upperBound) }
        }
        XCTAssertEqual(answered.count, inputs.count, "every short answer fits some window")
    }
}
