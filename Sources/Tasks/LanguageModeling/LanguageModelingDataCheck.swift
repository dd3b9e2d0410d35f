import Foundation
import TaskFile

// Language modelling's part of `bertkit validate`: the keys of classification's jsonl files mean
// nothing here (the text is all there is), and a jsonl file's first object must have the text key.
// Only the start of each file is read; the reader checks every line when it runs.

extension LanguageModelingTask {
    /// Keys a jsonl classification task reads and language modelling does not.
    static let classificationKeys = ["text_pair", "label", "id", "labels", "skip_eval_examples"]

    static func checkData(_ data: DataSpec, fileExists: (URL) -> Bool) -> [DataProblem] {
        var problems: [DataProblem] = []
        for key in classificationKeys where data.positions[key] != nil {
            problems.append(DataProblem(key: key, message: "`data.\(key)` has no meaning for language modelling (head masked-lm): the text is all it reads"))
        }
        guard data.format == .jsonl else { return problems }
        guard case .name(let textKey) = data.text else { return problems }    // an index: the generic check reports it
        for (key, url) in [("train", data.train), ("eval", data.eval), ("test", data.test)] {
            guard let url, fileExists(url), let line = FileStart(url: url)?.firstLine() else { continue }
            let written = data.pathsAsWritten[key] ?? url.path
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                problems.append(DataProblem(key: key, message: "the first line of \"\(written)\" is not a JSON object"))
                continue
            }
            if object[textKey] == nil {
                problems.append(DataProblem(key: data.positions["text"] == nil ? key : "text",
                                            message: "`data.text`: the first line of \"\(written)\" has no key `\(textKey)` "
                                                + "(keys: \(object.keys.sorted().joined(separator: ", ")))"))
            }
        }
        return problems
    }
}
