// Tab-separated rows as GLUE writes them: split on TAB only, no quoting of any kind (GLUE text
// holds literal `"`), one row per line, a trailing `\r` dropped. Empty lines (anywhere, not only
// at the end) are skipped; a line of spaces is a row like any other.

struct TSVScanner: DelimitedRowScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let path: String
    private var offset: Int
    private var line = 0

    /// `bytes` must outlive the scanner.
    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        self.offset = DatasetBytes.contentStart(bytes)
    }

    mutating func nextRow() throws -> DelimitedRow? {
        while offset < bytes.count {
            line += 1
            let lineStart = offset
            let newline = DatasetBytes.nextNewline(in: bytes, from: lineStart)
            offset = newline + 1
            var lineEnd = newline
            if lineEnd > lineStart && bytes[lineEnd - 1] == DatasetBytes.carriageReturn { lineEnd -= 1 }
            if lineEnd == lineStart { continue }
            try DatasetBytes.validateUTF8(lineStart..<lineEnd, in: bytes, firstLine: line, path: path)

            var fields: [DelimitedField] = []
            var fieldStart = lineStart
            for index in lineStart..<lineEnd where bytes[index] == DatasetBytes.tab {
                fields.append(DelimitedField(bytes: fieldStart..<index, isQuoted: false))
                fieldStart = index + 1
            }
            fields.append(DelimitedField(bytes: fieldStart..<lineEnd, isQuoted: false))
            return DelimitedRow(line: line, fields: fields)
        }
        return nil
    }
}
