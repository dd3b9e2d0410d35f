import Foundation
import Backbone
import TaskFile

// JSON Lines -> classification examples: one object per line, columns by key. Lines that are
// empty or only spaces/tabs are skipped. Text must be a string; the id a string or an integer;
// the label a string, an integer or a bool, kept in its written form ("1", "true").

enum JSONLClassificationReader {
    static func read(bytes: UnsafeBufferPointer<UInt8>, spec: DataSpec, limit: Int?,
                     requireLabels: Bool, path: String) throws -> [ClassificationExample] {
        func key(_ reference: ColumnReference) throws -> String {
            switch reference {
            case .name(let name): return name
            case .index(let index): throw DatasetError.indexColumnInJSONL(path: path, index: index)
            }
        }
        let textKey = try key(spec.text)
        let pairKey = try spec.textPair.map(key)
        let idKey = try spec.id.map(key)
        let labelKey = try key(spec.label)

        let decoder = JSONDecoder()
        var examples: [ClassificationExample] = []
        var offset = DatasetBytes.contentStart(bytes)
        var line = 0
        while offset < bytes.count, limit.map({ examples.count < $0 }) ?? true {
            line += 1
            let lineStart = offset
            let lineEnd = DatasetBytes.nextNewline(in: bytes, from: lineStart)
            offset = lineEnd + 1
            let isBlank = bytes[lineStart..<lineEnd].allSatisfy {
                $0 == 0x20 || $0 == DatasetBytes.tab || $0 == DatasetBytes.carriageReturn
            }
            if isBlank { continue }
            try DatasetBytes.validateUTF8(lineStart..<lineEnd, in: bytes, firstLine: line, path: path)

            let object = try parseObject(UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd]),
                                         decoder: decoder, line: line, path: path)
            func value(_ key: String) throws -> JSONValue {
                guard let value = object[key] else {
                    throw DatasetError.missingKey(path: path, line: line, key: key)
                }
                return value
            }
            func string(_ key: String) throws -> String {
                let found = try value(key)
                guard case .string(let text) = found else {
                    throw DatasetError.wrongValueType(path: path, line: line, key: key, expected: "a string",
                                                      found: describe(found))
                }
                return text
            }

            let text = try string(textKey)
            let pair = try pairKey.map(string)
            let id = try idKey.map { key -> String in
                let found = try value(key)
                guard let id = scalarText(found, allowingBool: false) else {
                    throw DatasetError.wrongValueType(path: path, line: line, key: key,
                                                      expected: "a string or an integer", found: describe(found))
                }
                return id
            } ?? String(line)

            var label: String?
            switch object[labelKey] {
            case nil, .null?:
                if requireLabels {
                    if object[labelKey] == nil { throw DatasetError.missingKey(path: path, line: line, key: labelKey) }
                    throw DatasetError.missingLabel(path: path, line: line)
                }
            case let found?:
                guard let text = scalarText(found, allowingBool: true) else {
                    throw DatasetError.wrongValueType(path: path, line: line, key: labelKey,
                                                      expected: "a string, an integer or a bool", found: describe(found))
                }
                label = text
            }
            examples.append(ClassificationExample(id: id, text: text, textPair: pair, label: label, line: line))
        }
        return examples
    }

    static func parseObject(_ lineBytes: UnsafeBufferPointer<UInt8>, decoder: JSONDecoder,
                                    line: Int, path: String) throws -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try decoder.decode(JSONValue.self, from: Data(buffer: lineBytes))
        } catch {
            throw DatasetError.invalidJSON(path: path, line: line, reason: reason(lineBytes))
        }
        guard case .object(let object) = value else {
            throw DatasetError.notAJSONObject(path: path, line: line, found: describe(value))
        }
        return object
    }

    /// A string as is; an integral number without a fraction ("1", not "1.0"); a bool as
    /// "true"/"false" when allowed. nil for anything else.
    private static func scalarText(_ value: JSONValue, allowingBool: Bool) -> String? {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return allowingBool ? String(flag) : nil
        case .number(let number):
            // Doubles hold every integer up to 2^53 exactly; beyond that a label would be guessed.
            guard number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else { return nil }
            return String(Int64(number))
        default: return nil
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return "the bool \(flag)"
        case .number(let number): return "the number \(number)"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Why the line is not JSON. JSONDecoder only says "not valid JSON"; JSONSerialization says
    /// where ("Invalid value around character 28"), so it is asked again on this error path only.
    private static func reason(_ lineBytes: UnsafeBufferPointer<UInt8>) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(buffer: lineBytes), options: [.fragmentsAllowed])
        } catch {
            if let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String {
                return detail.hasSuffix(".") ? String(detail.dropLast()) : detail
            }
        }
        return "the JSON decoder rejected it"
    }
}
