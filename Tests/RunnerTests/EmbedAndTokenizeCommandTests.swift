import Foundation
import XCTest

final class EmbedAndTokenizeCommandTests: XCTestCase {
    func testEmbedGivesSentenceTransformersSimilarities() throws {
        let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf: BertKitProcess.fixtures.appendingPathComponent("minilm/sentences.json")))
        let input = sentences.map { try! String(decoding: JSONEncoder().encode(["text": $0]), as: UTF8.self) }.joined(separator: "\n")
        let result = try BertKitProcess.run(["embed", "--model", BertKitProcess.miniLM.path, "--batch-size", "3"], input: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Line: Decodable { var embedding: [Float] }
        let vectors = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)).embedding }
        XCTAssertEqual(vectors.count, 7)
        func cosine(_ a: Int, _ b: Int) -> Float { zip(vectors[a], vectors[b]).reduce(0) { $0 + $1.0 * $1.1 } }
        func round4(_ x: Float) -> Float { (x * 10_000).rounded() / 10_000 }
        XCTAssertEqual(round4(cosine(1, 2)), 0.6660)
        XCTAssertEqual(round4(cosine(1, 3)), 0.1046)
        XCTAssertEqual(round4(cosine(4, 5)), 0.7553)
        XCTAssertEqual(vectors[0].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5, "normalised by default")
    }

    func testEmbedWithoutNormalisationAndPlainLines() throws {
        let result = try BertKitProcess.run(["embed", "--model", BertKitProcess.miniLM.path, "--no-normalize", "--pooling", "cls"],
                                            input: "A man is eating food.\n\nA man is eating a piece of bread.\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, "the blank line is skipped")
    }

    func testTokenizeWritesOffsetsInCodePoints() throws {
        let result = try BertKitProcess.run(["tokenize", "--model", BertKitProcess.miniLM.path], input: "{\"text\": \"Héllo, wörld!\"}\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .newlines),
                       #"{"ids":[101,7592,1010,2088,999,102],"tokens":["[CLS]","hello",",","world","!","[SEP]"],"offsets":[[0,0],[0,5],[5,6],[7,12],[12,13],[0,0]],"word_ids":[null,0,1,2,3,null],"type_ids":[0,0,0,0,0,0]}"#)
    }

    func testTokenizeWindows() throws {
        let line = #"{"text": "Who?", "text_pair": "one two three four five six seven eight nine ten"}"#
        let result = try BertKitProcess.run(["tokenize", "--model", BertKitProcess.miniLM.path, "--max-length", "10", "--stride", "2"], input: line)
        XCTAssertEqual(result.status, 0, result.stderr)
        struct Windows: Decodable { struct Window: Decodable { var ids: [Int]; var attention_mask: [Int]; var sequence_ids: [Int?] }; var windows: [Window] }
        let windows = try JSONDecoder().decode(Windows.self, from: Data(result.stdout.utf8)).windows
        // 10 context tokens, 6 per window ([CLS] who ? [SEP] ... [SEP] leaves 10 - 4 = 6), 2 overlapping: 3 windows
        XCTAssertEqual(windows.count, 3)
        XCTAssertTrue(windows.allSatisfy { $0.ids.count == 10 })
    }

    func testInvalidJSONLineNamesItsNumber() throws {
        let result = try BertKitProcess.run(["tokenize", "--model", BertKitProcess.miniLM.path], input: "{\"text\": \"ok\"}\n{bad\n")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("line 2"), result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, "the valid line before it was written")
    }

    func testBadOptionIsRejectedBeforeWork() throws {
        let result = try BertKitProcess.run(["bench", "gemm", "--threads", "0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--threads must be at least 1"), result.stderr)
    }
}
