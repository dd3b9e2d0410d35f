// Comma-separated records per RFC 4180: a field in double quotes may hold commas, line breaks and
// `""` (one quote). Line numbers count physical lines (`\n`), so a record that spans lines is
// reported at the line it starts on, and the lines after it keep their true numbers. Records end
// at `\n` or `\r\n`; empty lines are skipped. Leniency beyond the RFC: a quote inside an unquoted
// field is kept as a literal character.

struct CSVScanner: DelimitedRowScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let path: String
    private var offset: Int
    /// The line `offset` is on.
    private var line = 1

    /// `bytes` must outlive the scanner.
    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        self.offset = DatasetBytes.contentStart(bytes)
    }

    mutating func nextRow() throws -> DelimitedRow? {
        skipEmptyLines()
        guard offset < bytes.count else { return nil }
        let recordStart = offset
        let recordLine = line
        var fields: [DelimitedField] = []
        while true {
            let field = bytes[offset] == DatasetBytes.quote ? try quotedField() : unquotedField()
            fields.append(field)
            // `offset` is now at the byte after the field: a comma, the record's end, or the file's end.
            if offset < bytes.count && bytes[offset] == DatasetBytes.comma {
                offset += 1
                if offset == bytes.count { fields.append(DelimitedField(bytes: offset..<offset, isQuoted: false)) }
                if offset < bytes.count { continue }
            }
            break
        }
        let recordEnd = offset
        if offset < bytes.count {   // consume the line end (the field scanners stop before it)
            if bytes[offset] == DatasetBytes.carriageReturn { offset += 1 }
            if offset < bytes.count { offset += 1 }
            line += 1
        }
        try DatasetBytes.validateUTF8(recordStart..<recordEnd, in: bytes, firstLine: recordLine, path: path)
        return DelimitedRow(line: recordLine, fields: fields)
    }

    /// Whether a line ends at `index`: `\n`, or a `\r` before `\n` or before the end of the file.
    private func isLineEnd(at index: Int) -> Bool {
        let byte = bytes[index]
        return byte == DatasetBytes.newline
            || (byte == DatasetBytes.carriageReturn && (index + 1 == bytes.count || bytes[index + 1] == DatasetBytes.newline))
    }

    private mutating func skipEmptyLines() {
        while offset < bytes.count && isLineEnd(at: offset) {
            if bytes[offset] == DatasetBytes.carriageReturn { offset += 1 }
            if offset < bytes.count { offset += 1 }
            line += 1
        }
    }

    /// An unquoted field runs to the next comma or line end; a `\r` before `\n` is not part of it.
    private mutating func unquotedField() -> DelimitedField {
        let start = offset
        while offset < bytes.count {
            if bytes[offset] == DatasetBytes.comma || isLineEnd(at: offset) { break }
            offset += 1
        }
        return DelimitedField(bytes: start..<offset, isQuoted: false)
    }

    /// A quoted field: from the opening quote to the lone quote that closes it; it must be
    /// followed by a comma, a line end or the end of the file.
    private mutating func quotedField() throws -> DelimitedField {
        let openingLine = line
        offset += 1
        let start = offset
        while true {
            guard offset < bytes.count else {
                throw DatasetError.unterminatedQuote(path: path, line: openingLine)
            }
            let byte = bytes[offset]
            if byte == DatasetBytes.quote {
                if offset + 1 < bytes.count && bytes[offset + 1] == DatasetBytes.quote {
                    offset += 2
                    continue
                }
                break
            }
            if byte == DatasetBytes.newline { line += 1 }
            offset += 1
        }
        let field = DelimitedField(bytes: start..<offset, isQuoted: true)
        offset += 1   // the closing quote
        if offset < bytes.count {
            guard bytes[offset] == DatasetBytes.comma || isLineEnd(at: offset) else {
                throw DatasetError.malformedCSV(
                    path: path, line: line,
                    reason: "unexpected character after a closing quote (a quote inside a quoted field is written \"\")")
            }
        }
        return field
    }
}
