import Foundation
import Tokenizers

// The token sequences a language-modelling task trains on, as run_mlm.py makes them from its
// texts. Each text is tokenized with its special tokens, `[CLS] text [SEP]`, as the script's
// tokenizer call does; then:
// - grouped (the default, `group_texts`): the texts concatenated in order and cut into blocks of
//   exactly `blockSize` tokens, so that a block may start or end inside a text and hold several
//   texts' [CLS] and [SEP] in its middle. The script maps its dataset in batches of 1,000 texts
//   (datasets' `map(batched=True)` default) and groups within each batch: so does this, each
//   group of 1,000 texts dropping its own remainder, and a group shorter than one block
//   becoming one shorter block. An empty text adds `[CLS] [SEP]`.
// - line by line (`line_by_line: true`): one sequence per text that is neither empty nor only
//   whitespace, truncated to `blockSize` tokens ([SEP] kept last).

enum TextBlocks {
    /// The texts per group of `group_texts`: datasets' map batch size.
    static let textsPerGroup = 1000

    static func grouped(_ texts: [String], tokenizer: BertTokenizer, blockSize: Int) -> [[Int32]] {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        var blocks: [[Int32]] = []
        for groupStart in stride(from: 0, to: texts.count, by: textsPerGroup) {
            let group = Array(texts[groupStart..<min(groupStart + textsPerGroup, texts.count)])
            let stream = tokenizer.encodeBatch(group, threads: threads).flatMap { $0.ids.map(Int32.init) }
            // whole blocks only, unless the group is shorter than one
            let usable = stream.count >= blockSize ? stream.count / blockSize * blockSize : stream.count
            for start in stride(from: 0, to: usable, by: blockSize) {
                blocks.append(Array(stream[start..<min(start + blockSize, usable)]))
            }
        }
        return blocks
    }

    static func lineByLine(_ texts: [String], tokenizer: BertTokenizer, blockSize: Int) throws -> [[Int32]] {
        // Python's `len(line) > 0 and not line.isspace()`
        let kept = texts.filter { !$0.unicodeScalars.allSatisfy(\.properties.isWhitespace) }
        let batch = try tokenizer.encodeBatch(kept.map { TokenizerInput.text($0) }, truncation: Truncation(maxLength: blockSize),
                                              threads: ProcessInfo.processInfo.activeProcessorCount)
        // the first window of each text is the truncated text; the overflowing rest is dropped
        var blocks: [[Int32]] = []
        var seen = Set<Int>()
        for (window, input) in zip(batch.encodings, batch.windowToInput) where seen.insert(input).inserted {
            blocks.append(window.ids.map(Int32.init))
        }
        return blocks
    }
}
