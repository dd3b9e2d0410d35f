import Foundation
import Tensor
import Backbone

/// Paths of the project's test fixtures (Tests/Fixtures, each folder's README says what made it) and of the model the
/// set-up script puts in models/.
enum Fixtures {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let root = testsDirectory.appendingPathComponent("Fixtures")
    static let repository = testsDirectory.deletingLastPathComponent()
    static let tinyBert = root.appendingPathComponent("tiny-bert")
    static let miniLMReference = root.appendingPathComponent("minilm")
    /// all-MiniLM-L6-v2, fetched by `scripts/setup.sh` (the README's set-up step).
    static let miniLM = repository.appendingPathComponent("models/all-MiniLM-L6-v2")

    static func reference(_ relative: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: root.appendingPathComponent(relative))
    }

    /// A (B, T) batch from a reference file's int64 input_ids / attention_mask / token_type_ids.
    static func batch(from file: SafeTensorsFile) throws -> TokenBatch {
        let shape = try file.info(named: "input_ids").shape
        return TokenBatch(batchSize: shape[0], sequenceLength: shape[1],
                          inputIDs: try file.int32Values(named: "input_ids"),
                          tokenTypeIDs: try file.int32Values(named: "token_type_ids"),
                          attentionMask: try file.int32Values(named: "attention_mask"))
    }
}

/// max |a - b| over two equally long arrays.
func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "comparing \(a.count) with \(b.count) values")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
