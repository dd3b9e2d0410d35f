import Foundation
import TaskFile

/// Reads text-classification examples from tsv, csv or jsonl files (docs/tasks.md, `data:`).
///
/// The file is read as bytes and split here, line by line: a line that is not UTF-8, a short
/// row, a missing column or key is a `DatasetError` naming `path:line`. Text is kept exactly as
/// written. Empty lines are skipped wherever they are (tsv/csv/jsonl alike).
enum ClassificationReader {
    /// - Parameters:
    ///   - limit: read at most this many examples (the spec's `max_*_examples`); nil reads all.
    ///   - requireLabels: when false, a file without the label column (e.g. SST-2's unlabelled
    ///     test split) gives examples with `label == nil` instead of an error.
    /// - Returns: at least one example; a file with none is `DatasetError.noExamples`.
    public static func read(url: URL, spec: DataSpec, limit: Int? = nil,
                            requireLabels: Bool = true) throws -> [ClassificationExample] {
        let path = url.path
        let data = try DatasetBytes.contents(of: url)
        let examples = try data.withUnsafeBytes { raw -> [ClassificationExample] in
            let bytes = raw.bindMemory(to: UInt8.self)
            switch spec.format {
            case .tsv:
                var scanner = TSVScanner(bytes: bytes, path: path)
                return try DelimitedClassificationReader.read(rows: &scanner, bytes: bytes, spec: spec, limit: limit,
                                                              requireLabels: requireLabels, path: path)
            case .csv:
                var scanner = CSVScanner(bytes: bytes, path: path)
                return try DelimitedClassificationReader.read(rows: &scanner, bytes: bytes, spec: spec, limit: limit,
                                                              requireLabels: requireLabels, path: path)
            case .jsonl:
                return try JSONLClassificationReader.read(bytes: bytes, spec: spec, limit: limit,
                                                          requireLabels: requireLabels, path: path)
            case .conll, .squad, .text:
                throw DatasetError.unsupportedFormat(path: path, format: spec.format.rawValue)
            }
        }
        guard !examples.isEmpty else { throw DatasetError.noExamples(path: path) }
        return examples
    }
}
