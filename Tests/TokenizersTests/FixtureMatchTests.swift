import XCTest
@testable import Tokenizers

/// Every case of the reference fixtures (Hugging Face's Rust fast tokenizer with
/// all-MiniLM-L6-v2's vocabulary) must match exactly.
final class FixtureMatchTests: XCTestCase {
    func testSingleTextsUncased() throws {
        try checkSingles("single-uncased.jsonl", lowercase: true)
    }

    func testSingleTextsCased() throws {
        try checkSingles("single-cased.jsonl", lowercase: false)
    }

    func testPairsUncased() throws {
        try checkPairs("pairs-uncased.jsonl", lowercase: true)
    }

    func testPairsCased() throws {
        try checkPairs("pairs-cased.jsonl", lowercase: false)
    }

    /// The NER path: pre-split WNUT-17 words, offsets within each word.
    func testPreSplitWords() throws {
        let tokenizer = try miniLMTokenizer()
        let rows = try fixtureRows("words-uncased.jsonl")
        XCTAssertEqual(rows.count, 150)
        let matched = matchRows(rows, file: "words-uncased") { row in
            firstDifference(row, tokenizer.encode(words: row.words ?? []), context: "\(row.words ?? [])")
        }
        XCTAssertEqual(matched, rows.count)
    }

    /// QA features as run_qa.py builds them: question lstripped, only_second, stride = overlap,
    /// overflowing windows padded to max_length, at (64, 16) and (384, 128).
    func testQuestionAnsweringWindows() throws {
        let tokenizer = try miniLMTokenizer()
        let rows = try fixtureRows("qa-windows-uncased.jsonl")
        XCTAssertEqual(rows.count, 64)
        var windowsChecked = 0
        let matched = try matchRows(rows, file: "qa-windows-uncased") { row in
            let question = String((row.question ?? "").drop(while: { $0.isWhitespace }))
            let maxLength = row.max_length ?? 0, stride = row.stride ?? 0
            let windows = try tokenizer.encode(.text(question, pair: row.context ?? ""),
                                               truncation: Truncation(maxLength: maxLength, strategy: .onlySecond, stride: stride),
                                               padding: .fixed(maxLength))
            let expected = row.windows ?? []
            guard expected.count == windows.count else { return "expected \(expected.count) windows, got \(windows.count)" }
            for (reference, window) in zip(expected, windows) {
                windowsChecked += 1
                if let difference = firstDifference(reference, window, context: "(\(maxLength), \(stride)) \(question)") {
                    return difference
                }
            }
            return nil
        }
        print("[qa-windows-uncased] \(windowsChecked) windows compared")
        XCTAssertEqual(matched, rows.count)
        XCTAssertGreaterThan(windowsChecked, rows.count)
    }

    /// The batch API gives the same windows and maps each window back to its input.
    func testBatchWindowsMatchSingleEncodes() throws {
        let tokenizer = try miniLMTokenizer()
        let rows = Array(try fixtureRows("qa-windows-uncased.jsonl").filter { $0.max_length == 64 }.prefix(12))
        let inputs = rows.map { TokenizerInput.text(String(($0.question ?? "").drop(while: { $0.isWhitespace })), pair: $0.context ?? "") }
        let truncation = Truncation(maxLength: 64, strategy: .onlySecond, stride: 16)
        let batch = try tokenizer.encodeBatch(inputs, truncation: truncation, padding: .fixed(64), threads: 2)
        var expectedMapping: [Int] = []
        for (i, row) in rows.enumerated() {
            expectedMapping += Array(repeating: i, count: row.windows?.count ?? 0)
        }
        XCTAssertEqual(batch.windowToInput, expectedMapping)
        XCTAssertEqual(batch.encodings.map(\.ids), rows.flatMap { ($0.windows ?? []).map { $0.ids ?? [] } })
    }

    private func checkSingles(_ file: String, lowercase: Bool) throws {
        let tokenizer = try miniLMTokenizer(lowercase: lowercase)
        let rows = try fixtureRows(file)
        XCTAssertEqual(rows.count, 742)
        let matched = matchRows(rows, file: file) { row in
            firstDifference(row, tokenizer.encode(row.text ?? ""), context: (row.text ?? "").debugDescription)
        }
        XCTAssertEqual(matched, rows.count)
        // The batch path on two workers gives the same encodings.
        let texts = rows.map { $0.text ?? "" }
        XCTAssertEqual(tokenizer.encodeBatch(texts, threads: 2).map(\.ids), rows.map { $0.ids ?? [] })
    }

    private func checkPairs(_ file: String, lowercase: Bool) throws {
        let tokenizer = try miniLMTokenizer(lowercase: lowercase)
        let rows = try fixtureRows(file)
        XCTAssertEqual(rows.count, 60)
        let matched = matchRows(rows, file: file) { row in
            firstDifference(row, tokenizer.encode(row.text ?? "", pair: row.text_pair ?? ""),
                            context: (row.text ?? "").debugDescription + " / " + (row.text_pair ?? "").debugDescription)
        }
        XCTAssertEqual(matched, rows.count)
    }
}
