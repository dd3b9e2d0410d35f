import ArgumentParser
import Foundation
import Tokenizers

/// `bertkit tokenize`: JSON lines in, the tokenizer's encoding of each out.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize JSON lines ({\"text\"}, {\"text\", \"text_pair\"} or {\"words\"}) with a model's WordPiece vocabulary.",
        discussion: """
            Writes one JSON line per input line: {"ids", "tokens", "offsets", "word_ids", "type_ids"}; \
            offsets are Unicode code points into the input text. With --max-length the output is \
            {"windows": [...]}, each window padded to --max-length and carrying sequence_ids and \
            attention_mask too (overflowing windows overlap by --stride tokens). An invalid line \
            stops the run with its line number and a non-zero exit; the lines before it are written.
            """)

    @Option(help: "Model folder with vocab.txt or tokenizer.json (and tokenizer_config.json).")
    var model: String

    @Option(help: "Input file of JSON lines, or - for standard input (default: -).")
    var input: String = "-"

    @Option(help: "Override the folder's lower-casing: true or false.")
    var lowercase: Bool?

    @Option(help: "Window length in tokens; turns on overflowing windows.")
    var maxLength: Int?

    @Option(help: "Tokens of overlap between windows (default: 0).")
    var stride: Int = 0

    @Option(help: "Truncation strategy with --max-length: longest_first, only_first or only_second (default: only_second).")
    var truncation: String = "only_second"

    func validate() throws {
        if let maxLength, maxLength < 4 { throw ValidationError("--max-length must be at least 4") }
        if stride < 0 { throw ValidationError("--stride must not be negative") }
        if TruncationStrategy(rawValue: truncation) == nil {
            throw ValidationError("--truncation must be longest_first, only_first or only_second")
        }
    }

    func run() throws {
        let tokenizer = try BertTokenizer(modelFolder: URL(fileURLWithPath: model), lowercase: lowercase)
        let windowing = maxLength.map { Truncation(maxLength: $0, strategy: TruncationStrategy(rawValue: truncation)!, stride: stride) }
        let lines = TokenizerJSONLines(tokenizer: tokenizer, windowing: windowing, padding: maxLength.map { .fixed($0) })
        let output = LineOutput()
        defer { output.flush() }
        try LineInput(path: input).forEachLine { number, text in
            if text.isEmpty { return }
            output.write(try lines.process(line: text, lineNumber: number))
        }
    }
}
