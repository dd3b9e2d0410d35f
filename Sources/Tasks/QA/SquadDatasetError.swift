// What a user can get wrong in a SQuAD file: each message names the file and the question id
// (or, without an id, the question's place in `data[].paragraphs[].qas[]`).

enum SquadDatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    case fileNotFound(path: String)
    /// Not JSON, or JSON of the wrong shape (`data` missing, a number where text belongs, ...).
    case unreadableFile(path: String, reason: String)
    /// One question is malformed: a missing key, an answer that is not where `answer_start` says, ...
    case invalidQuestion(path: String, question: String, reason: String)
    /// The file holds no questions (or every one was skipped).
    case noQuestions(path: String)

    var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file"
        case .unreadableFile(let path, let reason):
            return "\(path): not a SQuAD JSON file: \(reason)"
        case .invalidQuestion(let path, let question, let reason):
            return "\(path): question \(question): \(reason)"
        case .noQuestions(let path):
            return "\(path): no questions"
        }
    }
}
