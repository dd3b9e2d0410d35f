// A row of a tsv or csv file as byte ranges into the file, so that only the columns a task uses
// ever become Strings.

/// One field: its bytes, and whether they are the inside of a csv quoted field (where `""`
/// stands for `"`).
struct DelimitedField {
    var bytes: Range<Int>
    var isQuoted: Bool

    func string(in buffer: UnsafeBufferPointer<UInt8>) -> String {
        guard isQuoted else { return DatasetBytes.string(bytes, in: buffer) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(bytes.count)
        var index = bytes.lowerBound
        while index < bytes.upperBound {
            unescaped.append(buffer[index])
            // The scanner only closes a quoted field on a lone quote, so inside one every quote
            // is the first of a pair.
            index += buffer[index] == DatasetBytes.quote ? 2 : 1
        }
        return String(decoding: unescaped, as: UTF8.self)
    }
}

/// One record: the line it starts on (1-based) and its fields.
struct DelimitedRow {
    var line: Int
    var fields: [DelimitedField]
}

/// Hands out the rows of a file one by one (so that a `limit` stops the reading early), skipping
/// empty lines. Rows are UTF-8-validated before they are returned.
protocol DelimitedRowScanner {
    mutating func nextRow() throws -> DelimitedRow?
}
