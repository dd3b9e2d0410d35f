/// One text-classification example as read from a dataset file, before tokenization.
struct ClassificationExample: Sendable, Equatable {
    /// The id column's value, or the example's 1-based line number when the spec names no id.
    var id: String
    /// The text exactly as in the file (GLUE's trailing spaces and literal quotes kept).
    var text: String
    /// The second text of a pair task, nil for single-sentence tasks.
    var textPair: String?
    /// The label as written (a jsonl integer 1 becomes "1", a bool `true` becomes "true");
    /// nil when the file has no label column and labels were not required.
    var label: String?
    /// The 1-based line where the example starts (a csv record may span lines), for messages.
    var line: Int

    init(id: String, text: String, textPair: String? = nil, label: String?, line: Int) {
        self.id = id
        self.text = text
        self.textPair = textPair
        self.label = label
        self.line = line
    }
}
