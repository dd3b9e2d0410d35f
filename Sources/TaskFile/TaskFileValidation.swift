import Foundation

// `bertkit validate`: everything that can be checked before loading a model or reading a whole
// dataset, reported all at once beside the decoding errors. Each problem is one line,
// `path:line:column: task `name`: what is wrong`. A value that could not be decoded (its error
// is reported already) is not checked again, nor is anything that depends on it.

extension TaskFile {
    /// Every problem found, task by task, each as `path:line:column: task `name`: ...`; empty
    /// if the file looks runnable. The parameters are `validationProblems`'.
    public func validate(knownHeads: Set<String>, headTaskKinds: [String: TaskKindRules] = [:],
                         classWeightedHeads: Set<String>? = nil,
                         fileExists: (URL) -> Bool = { FileManager.default.fileExists(atPath: $0.path) }) -> [String] {
        validationProblems(knownHeads: knownHeads, headTaskKinds: headTaskKinds, classWeightedHeads: classWeightedHeads,
                           fileExists: fileExists).map(\.description)
    }

    /// Every problem found, task by task; empty if the file looks runnable.
    ///
    /// - knownHeads: the registered head names (`HeadRegistry.all.map(\.name)`).
    /// - headTaskKinds: head name -> the rules of its task kind (`HeadDescriptor.taskKind`); when
    ///   given, the task's data format is checked against the formats the kind reads, and the
    ///   kind checks its `data:` block itself (e.g. classification: the columns in the files'
    ///   first lines).
    /// - classWeightedHeads: the heads that take `class_weights` (`HeadDescriptor.acceptsClassWeights`);
    ///   when given, `class_weights` on any other known head is a problem.
    /// - fileExists: whether a file or folder exists (replaceable for tests).
    public func validationProblems(knownHeads: Set<String>, headTaskKinds: [String: TaskKindRules] = [:],
                                   classWeightedHeads: Set<String>? = nil,
                                   fileExists: (URL) -> Bool = { FileManager.default.fileExists(atPath: $0.path) }) -> [TaskFileProblem] {
        var problems: [TaskFileProblem] = []
        var seenNames: [String: String] = [:]
        var checkedModels: Set<String> = []
        for task in tasks {
            let report: Report = { position, message in
                problems.append(TaskFileProblem(location: position, message: "task `\(task.name)`: \(message)"))
            }
            if let first = seenNames[task.name] {
                report(task.position(of: "name"), "another task has this name (at \(first)); names must be unique")
            } else {
                seenNames[task.name] = task.position(of: "name")
            }
            checkHead(task, knownHeads: knownHeads, headTaskKinds: headTaskKinds, report: report)
            // Reported once per place the model is written, not once per task using it.
            if !task.undecoded.contains("model"), checkedModels.insert("\(task.position(of: "model"))|\(task.model.path)").inserted {
                checkModel(task, fileExists: fileExists, report: report)
            }
            // a `data:` block that failed as a whole, or whose format failed, is left to its errors
            guard !task.undecoded.contains("data"), !task.data.undecoded.contains("format") else { continue }
            checkDataFiles(task, fileExists: fileExists, report: report)
            checkColumns(task, kindKeys: headTaskKinds[task.head]?.dataKeys ?? [], report: report)
            if let rules = headTaskKinds[task.head], rules.formats.contains(task.data.format), task.data.undecoded.isEmpty {
                for problem in rules.checkData(task.data, fileExists) { report(task.data.position(of: problem.key), problem.message) }
            }
            checkClassWeights(task, knownHeads: knownHeads, classWeightedHeads: classWeightedHeads, report: report)
        }
        return problems
    }

    /// Records one problem at a position (`path:line:column`).
    private typealias Report = (_ position: String, _ message: String) -> Void

    private func checkHead(_ task: TaskSpec, knownHeads: Set<String>, headTaskKinds: [String: TaskKindRules],
                           report: Report) {
        guard !task.undecoded.contains("head") else { return }
        guard knownHeads.contains(task.head) else {
            let suggestion = YAMLEditDistance.closest(to: task.head, among: knownHeads).map { "did you mean `\($0)`? " } ?? ""
            let known = knownHeads.isEmpty ? "none are registered" : "known heads: " + knownHeads.sorted().joined(separator: ", ")
            report(task.position(of: "head"), "unknown head `\(task.head)`; \(suggestion)\(known)")
            return
        }
        guard !task.undecoded.contains("data"), !task.data.undecoded.contains("format") else { return }
        if let rules = headTaskKinds[task.head], !rules.formats.contains(task.data.format) {
            report(task.position(of: "head"), "head `\(task.head)` (\(rules.kind)) reads data in format \(rules.formats.map(\.rawValue).joined(separator: " or ")), "
                   + "but `data.format` (at \(task.data.position(of: "format"))) is \(task.data.format.rawValue)")
        }
    }

    /// The model folder, and the files every checkpoint folder needs: config.json,
    /// model.safetensors, and the vocabulary as vocab.txt or tokenizer.json (transformers 5
    /// writes only the latter).
    private func checkModel(_ task: TaskSpec, fileExists: (URL) -> Bool, report: Report) {
        // an earlier task's checkpoint: that task writes it, and the runner checks it when this task starts
        if task.modelReference != nil { return }
        let position = task.position(of: "model")
        let shown = task.modelAsWritten == task.model.path ? "\"\(task.model.path)\""
            : "\"\(task.modelAsWritten)\" (resolved: \(task.model.path))"
        guard fileExists(task.model) else {
            report(position, "model folder \(shown) does not exist")
            return
        }
        func has(_ name: String) -> Bool { fileExists(task.model.appendingPathComponent(name)) }
        var missing = ["config.json", "model.safetensors"].filter { !has($0) }
        if !has("vocab.txt") && !has("tokenizer.json") { missing.append("vocab.txt (or tokenizer.json)") }
        if !missing.isEmpty {
            let pickle = !has("model.safetensors") && has("pytorch_model.bin")
                ? "; its pytorch_model.bin is a pickle, which BertKit does not read: save the model again with "
                  + "`model.save_pretrained(dir, safe_serialization=True)` to get model.safetensors" : ""
            report(position, "model folder \(shown) has no \(missing.joined(separator: ", ")); "
                   + "a model folder holds config.json, model.safetensors and vocab.txt or tokenizer.json" + pickle)
        }
    }

    private func checkDataFiles(_ task: TaskSpec, fileExists: (URL) -> Bool, report: Report) {
        let data = task.data
        let files: [(key: String, url: URL?)] = [("train", data.train), ("eval", data.eval), ("test", data.test)]
        guard files.contains(where: { $0.url != nil || data.undecoded.contains($0.key) }) else {
            report(task.position(of: "data"), "`data` names no file: give at least one of `train`, `eval`, `test`")
            return
        }
        for (key, url) in files {
            guard let url, !fileExists(url) else { continue }
            let written = data.pathsAsWritten[key] ?? url.path
            let resolved = written == url.path ? "" : " (resolved: \(url.path))"
            report(data.position(of: key), "`data.\(key)` file \"\(written)\"\(resolved) does not exist")
        }
    }

    /// Keys that mean nothing for the format (or for the head's task kind, which may read
    /// `kindKeys` beside them), and column choices the format cannot honour.
    private func checkColumns(_ task: TaskSpec, kindKeys: Set<String>, report: Report) {
        let data = task.data
        var problems: [(key: String, message: String)] = []
        let keysByFormat: [DataFormat: Set<String>] = [
            .tsv: ["text", "text_pair", "label", "id", "header", "labels"],
            .csv: ["text", "text_pair", "label", "id", "header", "labels"],
            .jsonl: ["text", "text_pair", "label", "id", "labels"],
            .conll: ["token_column", "tag_column", "scheme", "labels"],
            .squad: ["skip_invalid"],
            .text: [],
        ]
        let common: Set<String> = ["format", "train", "eval", "test", "max_train_examples", "max_eval_examples", "skip_eval_examples"]
        let allowed = common.union(keysByFormat[data.format] ?? []).union(kindKeys)
        for key in data.positions.keys.sorted() where !allowed.contains(key) {
            problems.append((key, "`data.\(key)` has no meaning for format \(data.format.rawValue)"))
        }
        let columns: [(key: String, column: ColumnReference?)] =
            [("text", data.text), ("text_pair", data.textPair), ("label", data.label), ("id", data.id)]
        switch data.format {
        case .tsv, .csv:
            if !data.header {
                for (key, column) in columns {
                    guard case let .name(name)? = column else { continue }
                    let hint = data.positions[key] == nil ? " (the default)" : ""
                    problems.append((key, "`data.\(key)` names the column `\(name)`\(hint), but `header: false` means the "
                                     + "file has no column names: give a 0-based column index"))
                }
            }
        case .jsonl:
            for (key, column) in columns {
                guard case let .index(index)? = column else { continue }
                problems.append((key, "`data.\(key)` is the column index \(index), but a jsonl line is an object: give its key"))
            }
        case .conll:
            if data.positions["tag_column"] == nil {
                problems.append(("format", "format conll needs `tag_column` (the 0-based column of the tags, e.g. 3 for CoNLL-2003)"))
            } else if data.tagColumn == data.tokenColumn {
                problems.append(("tag_column", "`tag_column` and `token_column` are both \(data.tagColumn)"))
            }
        case .squad, .text:
            break
        }
        if [.tsv, .csv, .jsonl].contains(data.format), let pair = data.textPair, pair == data.text {
            problems.append(("text_pair", "`data.text_pair` is the same column as `data.text` (\(pair))"))
        }
        // a key whose value failed was read as its default: what is said of it follows from the error
        let pairs = ["text_pair": "text", "tag_column": "token_column"]
        for problem in problems where !data.undecoded.contains(problem.key) && !data.undecoded.contains(pairs[problem.key] ?? "") {
            report(data.position(of: problem.key), problem.message)
        }
    }

    /// A head that takes class weights, and (for a declared label list) one weight per label.
    private func checkClassWeights(_ task: TaskSpec, knownHeads: Set<String>, classWeightedHeads: Set<String>?,
                                   report: Report) {
        guard let classWeights = task.training.classWeights, !task.undecoded.contains("class_weights") else { return }
        if let classWeightedHeads, knownHeads.contains(task.head), !classWeightedHeads.contains(task.head) {
            let heads = classWeightedHeads.isEmpty ? "none is registered" : "heads that do: " + classWeightedHeads.sorted().joined(separator: ", ")
            // the key may come from `defaults:`: say how to leave it out for this task alone
            report(task.position(of: "class_weights"), "head `\(task.head)` does not take `class_weights` (\(heads)); "
                   + "leave the key out of this task (an empty `class_weights:` unsets a `defaults:` value)")
            return
        }
        guard case let .explicit(weights) = classWeights, let labels = task.data.labels,
              weights.count != labels.count, !task.data.undecoded.contains("labels") else { return }
        report(task.position(of: "class_weights"), "`class_weights` has \(weights.count) weights but `data.labels` "
               + "(at \(task.data.position(of: "labels"))) has \(labels.count) labels")
    }
}
