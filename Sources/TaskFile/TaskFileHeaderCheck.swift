import Foundation

// Part of validation: the columns a classification task names must be in its files. Only the
// first line of each file is read (the header row, or the first jsonl object), so this stays
// cheap on large datasets; the readers check every line when they run.

extension TaskFile {
    func checkHeaders(_ task: TaskSpec, fileExists: (URL) -> Bool,
                      report: (_ position: String, _ message: String) -> Void) {
        let data = task.data
        guard [.tsv, .csv, .jsonl].contains(data.format) else { return }
        for (key, url) in [("train", data.train), ("eval", data.eval), ("test", data.test)] {
            guard let url, fileExists(url), let line = Self.firstLine(of: url) else { continue }
            // A test split may come without labels (predictions only).
            var wanted: [(key: String, column: ColumnReference)] = [("text", data.text)]
            if key != "test" { wanted.append(("label", data.label)) }
            if let pair = data.textPair { wanted.append(("text_pair", pair)) }
            if let id = data.id { wanted.append(("id", id)) }

            let written = data.pathsAsWritten[key] ?? url.path
            if data.format == .jsonl {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                    report(data.position(of: key), "the first line of \"\(written)\" is not a JSON object")
                    continue
                }
                for (columnKey, column) in wanted {
                    guard case let .name(name) = column, object[name] == nil else { continue }
                    report(data.position(of: columnKey), "`data.\(columnKey)`: the first line of \"\(written)\" has no key "
                           + "`\(name)` (keys: \(object.keys.sorted().joined(separator: ", ")))")
                }
                continue
            }
            let fields = data.format == .tsv ? line.components(separatedBy: "\t") : Self.csvFields(line)
            for (columnKey, column) in wanted {
                switch column {
                case let .name(name) where data.header && !fields.contains(name):
                    report(data.position(of: columnKey), "`data.\(columnKey)`: the header of \"\(written)\" has no column "
                           + "`\(name)` (columns: \(fields.joined(separator: ", ")))")
                case let .index(index) where index >= fields.count:
                    report(data.position(of: columnKey), "`data.\(columnKey)` is column \(index), but the first line of "
                           + "\"\(written)\" has \(fields.count) column\(fields.count == 1 ? "" : "s") (counting from 0)")
                default:
                    break
                }
            }
        }
    }

    /// The first non-empty line, without its line break or a UTF-8 byte-order mark; nil if the
    /// file cannot be read.
    static func firstLine(of url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let bytes = try? handle.read(upToCount: 1 << 16) else { return nil }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        let lines = text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        return lines.first.map(String.init)
    }

    /// The fields of one CSV line: commas separate, double quotes enclose, `""` is a quote.
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var scalars = line.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            if quoted {
                if scalar == "\"" {
                    if pending == "\"" { field.append("\""); pending = scalars.next() } else { quoted = false }
                } else {
                    field.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                fields.append(String(field))
                field = String.UnicodeScalarView()
            } else {
                field.append(scalar)
            }
        }
        fields.append(String(field))
        return fields
    }
}
