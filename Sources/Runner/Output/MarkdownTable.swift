import Foundation

/// A GitHub-flavoured markdown table for `summary.md`: columns padded so the raw text reads
/// as a table too, numeric columns right-aligned so digits line up.
public struct MarkdownTable {
    public var headers: [String]
    public var rows: [[String]]

    /// Rows shorter than `headers` are padded with empty cells.
    public init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    /// The table, one line per row, ending with a newline.
    public func render() -> String {
        precondition(!headers.isEmpty, "MarkdownTable needs at least one column")
        for row in rows {
            precondition(row.count <= headers.count, "MarkdownTable row has \(row.count) cells for \(headers.count) columns")
        }
        let header = headers.map(Self.escape)
        let body = rows.map { row in (0..<headers.count).map { $0 < row.count ? Self.escape(row[$0]) : "" } }
        let columns = 0..<headers.count
        let numeric = columns.map { column in
            let cells = body.map { $0[column] }.filter { !Self.isPlaceholder($0) }
            return !cells.isEmpty && cells.allSatisfy(Self.isNumber)
        }
        // A separator needs at least three dashes, with the colon included for right alignment.
        let widths = columns.map { column in
            max(3, ([header] + body).map { $0[column].unicodeScalars.count }.max() ?? 0)
        }

        func line(_ cells: [String]) -> String {
            let padded = columns.map { column -> String in
                let padding = String(repeating: " ", count: widths[column] - cells[column].unicodeScalars.count)
                return numeric[column] ? padding + cells[column] : cells[column] + padding
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let separator = columns.map { column in
            numeric[column] ? String(repeating: "-", count: widths[column] - 1) + ":"
                            : String(repeating: "-", count: widths[column])
        }
        var lines = [line(header), "| " + separator.joined(separator: " | ") + " |"]
        lines += body.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    /// A pipe would end the cell and a newline the row.
    static func escape(_ cell: String) -> String {
        var out = ""
        for scalar in cell.unicodeScalars {
            switch scalar {
            case "|": out += "\\|"
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Cells that say "no value" and do not decide whether a column is numeric.
    static func isPlaceholder(_ cell: String) -> Bool {
        cell.isEmpty || cell == "-" || cell == "n/a"
    }

    /// "0.912", "-3", "1e-05", "1,234", "91.2%", "nan" are numbers; "f1", "3 epochs" are not.
    static func isNumber(_ cell: String) -> Bool {
        var text = cell.replacingOccurrences(of: ",", with: "")
        if text.hasSuffix("%") { text.removeLast() }
        return Double(text) != nil
    }
}
