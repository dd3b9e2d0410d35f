import Foundation
import TaskFile
import TaskMetrics

// Reads CoNLL-style files: one word per line in columns, a blank line after each sentence,
// `-DOCSTART-` lines between documents.
//
// Columns: when the file's first word line holds a tab, every line is split on single tabs (a
// word may then contain spaces, and an empty column stays a column); otherwise on runs of spaces
// and tabs. Every word line must have as many columns as the first one. `token_column` and
// `tag_column` count from 0, or from the end when negative (-1 = the last column).
//
// Tags are checked against the scheme (iob1, iob2: O, B-X, I-X; bioes: also E-X, S-X) and
// converted to IOB2 per sentence with the TagScheme functions; the written tags are kept too.
// The bytes are decoded line by line, so invalid UTF-8 is reported with its line.

enum CoNLLReader {
    /// - Parameters:
    ///   - limit: read at most this many sentences.
    ///   - requireTags: false for a test file, which may then have a single (word) column.
    public static func read(url: URL, spec: DataSpec, limit: Int? = nil, requireTags: Bool = true) throws -> [CoNLLSentence] {
        let data = try DatasetBytes.contents(of: url)
        return try data.withUnsafeBytes { raw in
            try parse(raw.bindMemory(to: UInt8.self), path: url.path, spec: spec, limit: limit, requireTags: requireTags)
        }
    }

    /// The layout fixed by the first word line.
    private struct Layout {
        var tabSeparated: Bool
        var columnCount: Int
        var firstLine: Int
        var tokenColumn: Int
        var tagColumn: Int?
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String, spec: DataSpec, limit: Int?,
                      requireTags: Bool) throws -> [CoNLLSentence] {
        var sentences: [CoNLLSentence] = []
        var layout: Layout?
        var words: [String] = [], tags: [String] = [], firstLine = 0
        var document = 0, documentHasSentences = false, pendingDocStart = false

        func endSentence() throws {
            guard !words.isEmpty else { return }
            var iob2: [String]? = nil
            if layout?.tagColumn != nil {
                iob2 = try toIOB2(tags, scheme: spec.scheme, path: path, firstLine: firstLine)
            }
            sentences.append(CoNLLSentence(words: words, tags: iob2, writtenTags: iob2 == nil ? nil : tags, line: firstLine,
                                           document: document, startsDocument: pendingDocStart))
            pendingDocStart = false
            documentHasSentences = true
            words.removeAll(keepingCapacity: true)
            tags.removeAll(keepingCapacity: true)
        }

        var start = DatasetBytes.contentStart(bytes)
        var lineNumber = 0
        while start < bytes.count, limit.map({ sentences.count < $0 }) ?? true {
            lineNumber += 1
            let newline = DatasetBytes.nextNewline(in: bytes, from: start)
            var end = newline
            if end > start, bytes[end - 1] == DatasetBytes.carriageReturn { end -= 1 }
            defer { start = newline + 1 }
            try DatasetBytes.validateUTF8(start..<end, in: bytes, firstLine: lineNumber, path: path)
            let line = DatasetBytes.string(start..<end, in: bytes)
            if line.unicodeScalars.allSatisfy({ $0 == " " || $0 == "\t" }) {
                try endSentence()
                continue
            }
            if line.hasPrefix("-DOCSTART-") {
                try endSentence()
                if documentHasSentences { document += 1 }
                documentHasSentences = false
                pendingDocStart = true
                continue
            }
            if layout == nil {
                layout = try makeLayout(line, lineNumber: lineNumber, path: path, spec: spec, requireTags: requireTags)
            }
            let columns = split(line, tabs: layout!.tabSeparated)
            guard columns.count == layout!.columnCount else {
                throw CoNLLError.columnCount(path: path, line: lineNumber, found: columns.count,
                                             expected: layout!.columnCount, firstLine: layout!.firstLine)
            }
            if words.isEmpty { firstLine = lineNumber }
            words.append(columns[layout!.tokenColumn])
            if let tagColumn = layout!.tagColumn {
                let tag = columns[tagColumn]
                guard isValid(tag, scheme: spec.scheme) else {
                    throw CoNLLError.invalidTag(path: path, line: lineNumber, tag: tag, scheme: spec.scheme)
                }
                tags.append(tag)
            }
        }
        if limit.map({ sentences.count < $0 }) ?? true { try endSentence() }
        guard !sentences.isEmpty else { throw CoNLLError.noSentences(path: path) }
        return sentences
    }

    private static func makeLayout(_ line: String, lineNumber: Int, path: String, spec: DataSpec,
                                   requireTags: Bool) throws -> Layout {
        let tabs = line.utf8.contains(DatasetBytes.tab)
        let count = split(line, tabs: tabs).count
        func resolve(_ index: Int, key: String) throws -> Int {
            let resolved = index < 0 ? count + index : index
            guard resolved >= 0, resolved < count else {
                throw CoNLLError.columnOutOfRange(path: path, line: lineNumber, key: key, index: index, columnCount: count)
            }
            return resolved
        }
        let token = try resolve(spec.tokenColumn, key: "token_column")
        // An unlabelled test file may hold the words alone.
        if !requireTags && count == 1 {
            return Layout(tabSeparated: tabs, columnCount: count, firstLine: lineNumber, tokenColumn: token, tagColumn: nil)
        }
        let tag = try resolve(spec.tagColumn, key: "tag_column")
        guard tag != token else { throw CoNLLError.sameColumn(path: path, line: lineNumber, index: tag) }
        return Layout(tabSeparated: tabs, columnCount: count, firstLine: lineNumber, tokenColumn: token, tagColumn: tag)
    }

    /// Tab-separated: split on each tab (trailing spaces trimmed). Otherwise: runs of blanks.
    static func split(_ line: String, tabs: Bool) -> [String] {
        if tabs {
            var trimmed = Substring(line)
            while trimmed.unicodeScalars.last == " " { trimmed = trimmed.dropLast() }
            return trimmed.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// "O", or PREFIX-TYPE with a non-empty type and a prefix the scheme allows.
    static func isValid(_ tag: String, scheme: String) -> Bool {
        if tag == "O" { return true }
        let scalars = tag.unicodeScalars
        guard let dash = scalars.firstIndex(of: "-"), scalars.index(after: dash) != scalars.endIndex else { return false }
        let prefix = String(scalars[..<dash])
        return scheme == "bioes" ? ["B", "I", "E", "S"].contains(prefix) : ["B", "I"].contains(prefix)
    }

    /// The sentence's tags in IOB2 (tags were checked line by line, so the conversions cannot fail).
    static func toIOB2(_ tags: [String], scheme: String, path: String, firstLine: Int) throws -> [String] {
        do {
            switch scheme {
            case "iob1": return try TagScheme.iob1ToIOB2(tags)
            case "bioes": return try TagScheme.bioesToIOB2(tags)
            default: return tags
            }
        } catch let TagSchemeError.invalidTag(tag, position, _) {
            throw CoNLLError.invalidTag(path: path, line: firstLine + position, tag: tag, scheme: scheme)
        }
    }
}
