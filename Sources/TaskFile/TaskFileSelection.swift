// `bertkit run tasks.yaml --task sst2 --task squad`: keep only the named tasks.

extension TaskFile {
    /// The file with only the tasks named in `names`, in file order (repeats ignored); all
    /// tasks if `names` is empty. An unknown name is an error listing the file's task names.
    public func selecting(names: [String]) throws -> TaskFile {
        guard !names.isEmpty else { return self }
        let known = tasks.map(\.name)
        for name in names where !known.contains(name) {
            let suggestion = YAMLEditDistance.closest(to: name, among: Set(known)).map { "did you mean `\($0)`? " } ?? ""
            throw TaskFileError(.unknownTask(name), at: url.path,
                                "no task named `\(name)`; \(suggestion)tasks in this file: \(known.joined(separator: ", "))")
        }
        var selected = self
        selected.tasks = tasks.filter { names.contains($0.name) }
        return selected
    }
}
