import Foundation
import TaskFile

// Classification's part of `bertkit validate`: the columns a task names must be in its files.
// Only the start of each file is read (the header row, or the first jsonl object), so this stays
// cheap on large datasets; the readers check every line when they run. tsv and csv rows come from
// the readers' own scanners, so the check and the readers agree on quoting and the byte-order mark.

extension ClassificationTask {
    static func checkData(_ data: DataSpec, fileExists: (URL) -> Bool) -> [DataProblem] {
        var problems: [DataProblem] = []
        for (key, url) in [("train", data.train), ("eval", data.eval), ("test", data.test)] {
            guard let url, fileExists(url), let start = FileStart(url: url) else { continue }
            // A test split may come without labels (predictions only).
            var wanted: [(key: String, column: ColumnReference)] = [("text", data.text)]
            if key != "test" { wanted.append(("label", data.label)) }
            if let pair = data.textPair { wanted.append(("text_pair", pair)) }
            if let id = data.id { wanted.append(("id", id)) }

            let written = data.pathsAsWritten[key] ?? url.path
            if data.format == .jsonl {
                // no whole line in the part read (an empty file, a first line past 64 KiB): the reader reports it
                guard let line = start.firstLine() else { continue }
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                    problems.append(DataProblem(key: key, message: "the first line of \"\(written)\" is not a JSON object"))
                    continue
                }
                for (columnKey, column) in wanted {
                    guard case let .name(name) = column, object[name] == nil else { continue }
                    problems.append(DataProblem(key: columnKey, message: "`data.\(columnKey)`: the first line of \"\(written)\" has no key "
                                                + "`\(name)` (keys: \(object.keys.sorted().joined(separator: ", ")))"))
                }
                continue
            }
            guard let fields = start.firstRow(format: data.format) else { continue }
            for (columnKey, column) in wanted {
                switch column {
                case let .name(name) where data.header && !fields.contains(name):
                    problems.append(DataProblem(key: columnKey, message: "`data.\(columnKey)`: the header of \"\(written)\" has no column "
                                                + "`\(name)` (columns: \(fields.joined(separator: ", ")))"))
                case let .index(index) where index >= fields.count:
                    problems.append(DataProblem(key: columnKey, message: "`data.\(columnKey)` is column \(index), but the first line of "
                                                + "\"\(written)\" has \(fields.count) column\(fields.count == 1 ? "" : "s") (counting from 0)"))
                default:
                    break
                }
            }
        }
        return problems
    }
}

/// The whole lines in the first 64 KiB of a data file: enough for a header row or a first jsonl
/// object. A line the 64 KiB cut is dropped, so that a long first line is left to the reader
/// instead of being checked half-read.
struct FileStart {
    static let limit = 1 << 16
    let bytes: Data
    let path: String

    /// nil if the file cannot be read.
    init?(url: URL) {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard var bytes = try? handle.read(upToCount: Self.limit) else { return nil }
        if bytes.count == Self.limit {
            let lastNewline = bytes.lastIndex(of: DatasetBytes.newline)
            bytes = lastNewline.map { bytes[..<$0] } ?? Data()
        }
        self.bytes = Data(bytes)
        path = url.path
    }

    /// The first row's fields, as the tsv or csv reader splits it; nil when there is none or it
    /// is not readable here (cut off by the 64 KiB, not UTF-8: the reader reports it by line).
    func firstRow(format: DataFormat) -> [String]? {
        bytes.withUnsafeBytes { raw -> [String]? in
            let buffer = raw.bindMemory(to: UInt8.self)
            let row: DelimitedRow??
            switch format {
            case .tsv:
                var scanner = TSVScanner(bytes: buffer, path: path)
                row = try? scanner.nextRow()
            case .csv:
                var scanner = CSVScanner(bytes: buffer, path: path)
                row = try? scanner.nextRow()
            default:
                return nil
            }
            guard case let found?? = row else { return nil }
            return found.fields.map { $0.string(in: buffer) }
        }
    }

    /// The first line that is not blank (after a byte-order mark), without its line break.
    func firstLine() -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            let buffer = raw.bindMemory(to: UInt8.self)
            var offset = DatasetBytes.contentStart(buffer)
            while offset < buffer.count {
                let end = DatasetBytes.nextNewline(in: buffer, from: offset)
                defer { offset = end + 1 }
                let isBlank = buffer[offset..<end].allSatisfy {
                    $0 == 0x20 || $0 == DatasetBytes.tab || $0 == DatasetBytes.carriageReturn
                }
                if !isBlank { return DatasetBytes.string(offset..<end, in: buffer) }
            }
            return nil
        }
    }
}
