import Foundation
import Backbone
import TaskFile

// The texts of a language-modelling data file, in order:
// - `text`: every line, an empty one too (the datasets library's text loader, which run_mlm.py
//   reads text files with, keeps it); lines end at `\n`, a `\r` before it is dropped;
// - `jsonl`: the `text` key (`data.text`) of each object, a string; blank lines are no records.
// Bad bytes and bad JSON are errors naming the file and the line.

enum TextLinesReader {
    static func read(url: URL, spec: DataSpec) throws -> [String] {
        let data = try DatasetBytes.contents(of: url)
        let path = url.path
        let texts: [String] = try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            switch spec.format {
            case .text: return try lines(bytes, path: path)
            case .jsonl: return try jsonlTexts(bytes, key: spec.text, path: path)
            default: throw DatasetError.unsupportedFormat(path: path, format: spec.format.rawValue)
            }
        }
        guard !texts.isEmpty else { throw DatasetError.noExamples(path: path) }
        return texts
    }

    private static func lines(_ bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> [String] {
        var texts: [String] = []
        var offset = DatasetBytes.contentStart(bytes), line = 0
        while offset < bytes.count {
            line += 1
            let end = DatasetBytes.nextNewline(in: bytes, from: offset)
            var stop = end
            if stop > offset && bytes[stop - 1] == DatasetBytes.carriageReturn { stop -= 1 }
            try DatasetBytes.validateUTF8(offset..<stop, in: bytes, firstLine: line, path: path)
            texts.append(DatasetBytes.string(offset..<stop, in: bytes))
            offset = end + 1
        }
        return texts
    }

    private static func jsonlTexts(_ bytes: UnsafeBufferPointer<UInt8>, key column: ColumnReference, path: String) throws -> [String] {
        guard case .name(let key) = column else {
            if case .index(let index) = column { throw DatasetError.indexColumnInJSONL(path: path, index: index) }
            return []
        }
        let decoder = JSONDecoder()
        var texts: [String] = []
        var offset = DatasetBytes.contentStart(bytes), line = 0
        while offset < bytes.count {
            line += 1
            let start = offset, end = DatasetBytes.nextNewline(in: bytes, from: offset)
            offset = end + 1
            let isBlank = bytes[start..<end].allSatisfy { $0 == 0x20 || $0 == DatasetBytes.tab || $0 == DatasetBytes.carriageReturn }
            if isBlank { continue }
            try DatasetBytes.validateUTF8(start..<end, in: bytes, firstLine: line, path: path)
            let object = try JSONLClassificationReader.parseObject(UnsafeBufferPointer(rebasing: bytes[start..<end]),
                                                                   decoder: decoder, line: line, path: path)
            guard let value = object[key] else { throw DatasetError.missingKey(path: path, line: line, key: key) }
            guard case .string(let text) = value else {
                throw DatasetError.wrongValueType(path: path, line: line, key: key, expected: "a string",
                                                  found: JSONLClassificationReader.describe(value))
            }
            texts.append(text)
        }
        return texts
    }
}
