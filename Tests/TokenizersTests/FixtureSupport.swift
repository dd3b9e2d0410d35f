import Foundation
import XCTest
@testable import Tokenizers

/// Tests/Fixtures/tokenizer, found from this file's own path so a clone needs nothing else.
let tokenizerFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/tokenizer")

/// all-MiniLM-L6-v2's tokenizer (its vocab.txt and tokenizer_config.json), lower-casing on or off.
func miniLMTokenizer(lowercase: Bool? = nil) throws -> BertTokenizer {
    try BertTokenizer(modelFolder: tokenizerFixtures, lowercase: lowercase)
}

/// One line of a reference .jsonl file made by the Python stack (fixtures/generate.py), or one
/// QA window of it. Read with JSONDecoder: JSONSerialization drops a string's leading U+FEFF,
/// which some fixture texts start with.
struct FixtureRow: Decodable {
    var text: String?
    var text_pair: String?
    var words: [String]?
    var question: String?
    var context: String?
    var max_length: Int?
    var stride: Int?
    var ids: [Int]?
    var tokens: [String]?
    var type_ids: [Int]?
    var attention_mask: [Int]?
    var offsets: [[Int]]?
    var word_ids: [Int?]?
    var sequence_ids: [Int?]?
    var windows: [FixtureRow]?

    var offsetRanges: [Range<Int>]? { offsets?.map { $0[0]..<$0[1] } }
}

func fixtureRows(_ name: String) throws -> [FixtureRow] {
    let text = try String(contentsOf: tokenizerFixtures.appendingPathComponent(name), encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(FixtureRow.self, from: Data($0.utf8)) }
}

/// Counts rows where `compare` finds no difference; prints the first few differences.
func matchRows(_ rows: [FixtureRow], file: String, _ compare: (FixtureRow) throws -> String?) rethrows -> Int {
    var matched = 0, shown = 0
    for row in rows {
        if let difference = try compare(row) {
            if shown < 5 { print("[\(file)] mismatch: \(difference)"); shown += 1 }
        } else {
            matched += 1
        }
    }
    print("[\(file)] \(matched)/\(rows.count) cases match the Rust fast tokenizer")
    return matched
}

/// Names the first field the reference row has where `got` differs from it.
func firstDifference(_ row: FixtureRow, _ got: Encoding, context: String) -> String? {
    var fields: [(String, Bool)] = []
    if let ids = row.ids { fields.append(("ids", ids == got.ids)) }
    if let tokens = row.tokens { fields.append(("tokens", tokens == got.tokens)) }
    if let typeIds = row.type_ids { fields.append(("type_ids", typeIds == got.typeIds)) }
    if let mask = row.attention_mask { fields.append(("attention_mask", mask == got.attentionMask)) }
    if let offsets = row.offsetRanges { fields.append(("offsets", offsets == got.offsets)) }
    if let wordIds = row.word_ids { fields.append(("word_ids", wordIds == got.wordIds)) }
    if let sequenceIds = row.sequence_ids { fields.append(("sequence_ids", sequenceIds == got.sequenceIds)) }
    precondition(!fields.isEmpty, "a fixture row without reference fields")
    guard let (field, _) = fields.first(where: { !$0.1 }) else { return nil }
    return "\(context): \(field) differs; got tokens \(got.tokens) offsets \(got.offsets)"
}
