import Foundation
@testable import Tasks
import Tokenizers

/// Fixture paths and helpers shared by the QA tests.
enum QAFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    /// One SQuAD v1.1 article (Tests/Fixtures/qa/README.md).
    static let article = root.appendingPathComponent("qa/jacksonville-v1.1.json")

    /// all-MiniLM-L6-v2's uncased tokenizer (Tests/Fixtures/tokenizer).
    static func tokenizer() throws -> BertTokenizer {
        try BertTokenizer(modelFolder: root.appendingPathComponent("tokenizer"))
    }

    /// A line of Tests/Fixtures/tokenizer/qa-windows-uncased.jsonl: Hugging Face's fast tokenizer
    /// on (question, context) with truncation only_second, max_length and stride.
    struct WindowRow: Decodable {
        /// Padded to max_length; `attention_mask` marks the real tokens.
        struct Window: Decodable { var ids: [Int]; var offsets: [[Int]]; var sequence_ids: [Int?]; var attention_mask: [Int] }
        var question: String
        var context: String
        var max_length: Int
        var stride: Int
        var windows: [Window]
    }

    static func windowRows() throws -> [WindowRow] {
        let text = try String(contentsOf: root.appendingPathComponent("tokenizer/qa-windows-uncased.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(WindowRow.self, from: Data($0.utf8)) }
    }
}
