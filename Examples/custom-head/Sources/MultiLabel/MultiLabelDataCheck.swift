import Foundation
import Backbone
import Tasks
import TaskFile

// `bertkit validate` for this kind: each file's first line has the text key and, except in a test
// file, a list under the labels key. Only the first 64 KiB are read; the task kind checks every
// line when it runs.

extension MultiLabelTask {
    public static func checkData(_ data: DataSpec, fileExists: (URL) -> Bool) -> [DataProblem] {
        // a column number is reported by BertKit's own check (a jsonl line is an object)
        guard case .name(let textKey) = data.text, case .name(let labelsKey) = data.label else { return [] }
        var problems: [DataProblem] = []
        for (key, url) in [("train", data.train), ("eval", data.eval), ("test", data.test)] {
            guard let url, fileExists(url) else { continue }
            let written = data.pathsAsWritten[key] ?? url.path
            guard let object = firstObject(of: url) else {
                problems.append(DataProblem(key: key, message: "the first line of \"\(written)\" is not a JSON object"))
                continue
            }
            var hasText = false, hasLabels = false
            if case .string? = object[textKey] { hasText = true }
            if case .array? = object[labelsKey] { hasLabels = true }
            if !hasText {
                problems.append(DataProblem(key: "text", message: "`data.text`: the first line of \"\(written)\" has no string `\(textKey)`"))
            }
            // a test file may come without labels (predictions only)
            if !hasLabels && key != "test" {
                problems.append(DataProblem(key: "label", message: "`data.label`: the first line of \"\(written)\" has no list `\(labelsKey)`"))
            }
        }
        return problems
    }

    /// The first non-empty line of a file as a JSON object, or nil.
    static func firstObject(of url: URL) -> [String: JSONValue]? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let start = try? handle.read(upToCount: 1 << 16),
              let line = String(decoding: start, as: UTF8.self).split(separator: "\n").first,
              case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)) else { return nil }
        return object
    }
}
