// The label list of a classification task, in index order (index i = logit i), and the mapping of
// examples to those indices. The list is stored in the checkpoint, so evaluation and prediction
// use training's order.

enum LabelSet {
    /// The task's label list: `declared` (the task file's `labels:`) when given, in its order;
    /// otherwise the distinct training labels, sorted numerically when every label is an integer
    /// ("2" before "10"), else by Unicode scalar values (Python's `sorted` order).
    /// - Parameter path: the training file, for messages.
    static func fromTraining(_ examples: [ClassificationExample], declared: [String]?,
                                    path: String) throws -> [String] {
        if let declared {
            let allowed = Set(declared)
            for example in examples {
                let label = try requiredLabel(of: example, path: path)
                guard allowed.contains(label) else {
                    throw DatasetError.labelNotDeclared(path: path, line: example.line, label: label, declared: declared)
                }
            }
            return declared
        }
        var distinct = Set<String>()
        for example in examples { distinct.insert(try requiredLabel(of: example, path: path)) }
        return sorted(distinct)
    }

    /// Each example's index in `labels`; a label training never saw is an error naming the line
    /// and listing the known labels.
    /// - Parameter path: the file the examples come from, for messages.
    static func indices(of examples: [ClassificationExample], labels: [String],
                               path: String) throws -> [Int32] {
        var indexOf: [String: Int32] = [:]
        for (index, label) in labels.enumerated() where indexOf[label] == nil { indexOf[label] = Int32(index) }
        return try examples.map { example in
            let label = try requiredLabel(of: example, path: path)
            guard let index = indexOf[label] else {
                throw DatasetError.unknownLabel(path: path, line: example.line, label: label, known: labels)
            }
            return index
        }
    }

    /// Numeric order when every label parses as an integer (ties such as "1" and "01" broken by
    /// scalar order), else Unicode scalar order.
    static func sorted(_ labels: Set<String>) -> [String] {
        let byScalars: (String, String) -> Bool = {
            $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars)
        }
        let numbers = labels.map { ($0, Int($0)) }
        guard numbers.allSatisfy({ $0.1 != nil }) else { return labels.sorted(by: byScalars) }
        return numbers.sorted { a, b in a.1! != b.1! ? a.1! < b.1! : byScalars(a.0, b.0) }.map { $0.0 }
    }

    private static func requiredLabel(of example: ClassificationExample, path: String) throws -> String {
        guard let label = example.label else { throw DatasetError.missingLabel(path: path, line: example.line) }
        return label
    }
}
