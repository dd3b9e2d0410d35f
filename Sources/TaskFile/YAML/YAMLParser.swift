// Reads one YAML document into a YAMLNode tree with libyaml's event API (yaml_parser_parse).
// Rules for a task file: UTF-8 only, exactly one document, no empty file; libyaml's own syntax
// errors come back as YAMLError(.syntax) with file:line:column and libyaml's problem text, and
// stop the parse; a repeated key does not (see Document).

import CYAML
import Foundation

enum YAMLParser {
    /// A parsed document, and each key a mapping in it repeats: an error the tree has already
    /// recovered from (it keeps the first value), so that a task file's decoder can report it
    /// with the rest instead of stopping there.
    struct Document {
        var root: YAMLNode
        var duplicateKeys: [YAMLError]

        /// The tree, or the first repeated key as an error.
        func rootWithoutDuplicateKeys() throws -> YAMLNode {
            if let first = duplicateKeys.first { throw first }
            return root
        }
    }

    /// Parses the file at `path`; positions in the tree and in errors name `path` as given.
    static func parse(contentsOfFile path: String, limits: YAMLParseLimits = YAMLParseLimits()) throws -> YAMLNode {
        try document(contentsOfFile: path, limits: limits).rootWithoutDuplicateKeys()
    }

    /// Parses `text`; `path` is only used to label positions.
    static func parse(_ text: String, path: String, limits: YAMLParseLimits = YAMLParseLimits()) throws -> YAMLNode {
        try parse(bytes: Array(text.utf8), path: path, limits: limits)
    }

    static func parse(bytes: [UInt8], path: String, limits: YAMLParseLimits = YAMLParseLimits()) throws -> YAMLNode {
        try document(bytes: bytes, path: path, limits: limits).rootWithoutDuplicateKeys()
    }

    /// As `parse(contentsOfFile:)`, with repeated keys returned instead of thrown.
    static func document(contentsOfFile path: String, limits: YAMLParseLimits = YAMLParseLimits()) throws -> Document {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw YAMLError(.unreadableFile, at: .file(path: path, line: 1, column: 1),
                            "cannot read the file (missing, a directory, or not readable)")
        }
        return try document(bytes: [UInt8](data), path: path, limits: limits)
    }

    static func document(bytes: [UInt8], path: String, limits: YAMLParseLimits = YAMLParseLimits()) throws -> Document {
        try bytes.withUnsafeBufferPointer { buffer in
            try readDocument(buffer, path: path, limits: limits)
        }
    }

    private static func readDocument(_ bytes: UnsafeBufferPointer<UInt8>, path: String,
                                     limits: YAMLParseLimits) throws -> Document {
        // Checked before libyaml sees the bytes: its reader reports only a byte offset and a
        // terse "invalid leading UTF-8 octet", and accepts UTF-16, which a task file must not be.
        if let offset = YAMLSourceBytes.firstInvalidUTF8Offset(in: bytes) {
            let (line, column) = YAMLSourceBytes.lineAndColumn(ofOffset: offset, in: bytes)
            let byte = String(bytes[offset], radix: 16, uppercase: true)
            throw YAMLError(.invalidUTF8, at: .file(path: path, line: line, column: column),
                            "invalid UTF-8 (byte 0x\(byte.count == 1 ? "0" : "")\(byte)); a task file must be UTF-8 text")
        }
        let startOfFile = YAMLPosition.file(path: path, line: 1, column: 1)
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw YAMLError(.emptyFile, at: startOfFile, "the file is empty; expected a YAML mapping")
        }

        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            preconditionFailure("libyaml could not allocate a parser")
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, base, bytes.count)

        var builder = YAMLTreeBuilder(limits: limits)
        var documentCount = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                throw syntaxError(of: parser, path: path, bytes: bytes)
            }
            defer { yaml_event_delete(&event) }
            let position = YAMLPosition.file(path: path, line: Int(event.start_mark.line) + 1,
                                             column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                guard let root = builder.root else {
                    throw YAMLError(.emptyFile, at: startOfFile,
                                    "the file holds no YAML document (only blank lines or comments)")
                }
                return Document(root: root, duplicateKeys: builder.duplicateKeys)
            case YAML_DOCUMENT_START_EVENT:
                documentCount += 1
                guard documentCount == 1 else {
                    throw YAMLError(.multipleDocuments, at: position,
                                    "a second YAML document starts here; a task file holds exactly one")
                }
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
                let scalar = YAMLScalar(value, style: style(of: data.style), tag: string(data.tag))
                try builder.scalar(scalar, anchor: string(data.anchor), at: position)
            case YAML_ALIAS_EVENT:
                try builder.alias(string(event.data.alias.anchor) ?? "", at: position)
            case YAML_SEQUENCE_START_EVENT:
                try builder.startSequence(anchor: string(event.data.sequence_start.anchor), at: position)
            case YAML_MAPPING_START_EVENT:
                try builder.startMapping(anchor: string(event.data.mapping_start.anchor), at: position)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                try builder.endCollection()
            default:
                break  // stream start, document end: nothing to build
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func style(of style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    /// libyaml's error as a YAMLError: its problem text, plus its context ("while scanning a
    /// simple key") and where that context started, when it gives one.
    private static func syntaxError(of parser: yaml_parser_t, path: String,
                                    bytes: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown libyaml error"
        let position: YAMLPosition
        if parser.error == YAML_READER_ERROR {
            // The reader reports a byte offset, not a mark.
            let (line, column) = YAMLSourceBytes.lineAndColumn(ofOffset: parser.problem_offset, in: bytes)
            position = .file(path: path, line: line, column: column)
        } else {
            position = .file(path: path, line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1)
        }
        var message = "YAML syntax error: \(problem)"
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context) at line \(parser.context_mark.line + 1), column \(parser.context_mark.column + 1))"
        }
        return YAMLError(.syntax, at: position, message)
    }
}
