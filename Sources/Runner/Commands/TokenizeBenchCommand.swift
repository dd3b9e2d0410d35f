import ArgumentParser
import Foundation
import Tokenizers

/// `bertkit bench tokenize`: tokenizer throughput on a file's sentences.
struct TokenizeBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenizer throughput (sentences/s, tokens/s) on one thread and on all cores.")

    @Option(help: "Model folder with vocab.txt or tokenizer.json.")
    var model: String

    @Option(help: "Text lines, or a TSV file whose --column holds the sentences.")
    var input: String

    @Option(help: "0-based TSV column to read; omit for plain text lines.")
    var column: Int?

    @Flag(help: "The TSV has a header row to skip (default: on with --column).")
    var noHeader = false

    @Option(help: "Timed passes per thread count; the median is reported (default: 5).")
    var repetitions: Int = 5

    func run() throws {
        let tokenizer = try BertTokenizer(modelFolder: URL(fileURLWithPath: model))
        var sentences: [String] = []
        try LineInput(path: input).forEachLine { number, line in
            if let column {
                if number == 1 && !noHeader { return }
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard column < fields.count else { throw CLIError("\(input):\(number): no column \(column)") }
                sentences.append(String(fields[column]))
            } else if !line.isEmpty {
                sentences.append(line)
            }
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("sentences: \(sentences.count) from \(input)")
        for threads in Set([1, cores]).sorted() {
            let result = TokenizerBenchmark.run(tokenizer: tokenizer, sentences: sentences, threads: threads, repetitions: repetitions)
            print(String(format: "threads %d: %.0f sentences/s, %.0f tokens/s (median of %d passes)",
                         threads, result.sentencesPerSecond, result.tokensPerSecond, repetitions))
        }
    }
}
