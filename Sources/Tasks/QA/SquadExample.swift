// One SQuAD question with its context, as read from a v1.1 or v2.0 JSON file.
// Offsets are Unicode code points into `context` (Python's str indices, what `answer_start` means).

/// A gold (or plausible) answer: its text and where it starts in the context.
struct SquadAnswer: Sendable, Equatable {
    var text: String
    /// Code-point offset of the answer's first character in the context.
    var start: Int
    /// The code-point count of the text (Python's `len`).
    var length: Int

    init(text: String, start: Int) {
        self.text = text
        self.start = start
        self.length = text.unicodeScalars.count
    }

    /// One past the answer's last code point.
    var end: Int { start + length }
}

/// A question, its context and its answers.
struct SquadExample: Sendable, Equatable {
    var id: String
    var question: String
    var context: String
    /// Gold answers in file order, duplicates kept; empty for an unanswerable (v2) question
    /// and for a question without answers in an unlabelled test file.
    var answers: [SquadAnswer]
    /// SQuAD v2: no answer in the context (`is_impossible`, or an empty answer list).
    var isImpossible: Bool
    /// SQuAD v2: what annotators marked for an unanswerable question (kept, never trained on).
    var plausibleAnswers: [SquadAnswer]
    /// Whether the file gave answers for this question (false in an unlabelled test file).
    var hasAnswerKey: Bool

    init(id: String, question: String, context: String, answers: [SquadAnswer],
                isImpossible: Bool = false, plausibleAnswers: [SquadAnswer] = [], hasAnswerKey: Bool = true) {
        self.id = id
        self.question = question
        self.context = context
        self.answers = answers
        self.isImpossible = isImpossible
        self.plausibleAnswers = plausibleAnswers
        self.hasAnswerKey = hasAnswerKey
    }
}

/// The questions of one SQuAD file.
struct SquadDataset: Sendable {
    var examples: [SquadExample]
    /// The file's `version` ("1.1", "v2.0", ...), if it has one.
    var version: String?

    init(examples: [SquadExample], version: String?) {
        self.examples = examples
        self.version = version
    }

    /// A SQuAD v2.0 file: it says so, or some question has no answer.
    var looksLikeVersionTwo: Bool {
        (version.map { $0.hasPrefix("v2") || $0.hasPrefix("2") } ?? false)
            || examples.contains { $0.isImpossible }
    }
}
