import Foundation

/// Reads SQuAD v1.1 and v2.0 JSON files (`{"data": [{"paragraphs": [{"context", "qas": [...]}]}]}`).
///
/// Decoded with JSONDecoder, never JSONSerialization: on Linux the latter drops a leading U+FEFF
/// of a string, which would shift every `answer_start` of that context by one. A malformed question
/// (a missing key, a value of the wrong type, an answer that is not at `answer_start`, a repeated
/// id) is an error naming its id, or, with `skipInvalid`, a warning and the question is left out.
enum SquadReader {
    /// - Parameters:
    ///   - requireAnswers: training and evaluation files need `answers` on every question; an
    ///     unlabelled test file may leave them out.
    ///   - limit: read at most this many questions (in file order).
    public static func read(url: URL, requireAnswers: Bool = true, skipInvalid: Bool = false, limit: Int? = nil,
                            warn: (String) -> Void = { _ in }) throws -> SquadDataset {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw SquadDatasetError.fileNotFound(path: path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SquadDatasetError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        return try parse(data, path: path, requireAnswers: requireAnswers, skipInvalid: skipInvalid, limit: limit, warn: warn)
    }

    /// Same, from the bytes of a file; `path` names it in messages.
    public static func parse(_ data: Data, path: String, requireAnswers: Bool = true, skipInvalid: Bool = false,
                             limit: Int? = nil, warn: (String) -> Void = { _ in }) throws -> SquadDataset {
        let file: RawFile
        do {
            file = try JSONDecoder().decode(RawFile.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SquadDatasetError.unreadableFile(path: path, reason: "missing key `\(jsonPath(context.codingPath + [key]))`")
        } catch let DecodingError.typeMismatch(_, context) {
            throw SquadDatasetError.unreadableFile(path: path, reason: "`\(jsonPath(context.codingPath))`: \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw SquadDatasetError.unreadableFile(path: path, reason: "`\(jsonPath(context.codingPath))` is null")
        } catch let DecodingError.dataCorrupted(context) {
            let reason = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
            throw SquadDatasetError.unreadableFile(path: path, reason: "invalid JSON: \(reason)")
        } catch {
            throw SquadDatasetError.unreadableFile(path: path, reason: "\(error)")
        }

        var examples: [SquadExample] = []
        var seenIDs = Set<String>()
        reading: for (a, article) in file.data.enumerated() {
            for (p, paragraph) in article.paragraphs.enumerated() {
                let context = paragraph.context
                let contextScalars = context.map { Array($0.unicodeScalars) }
                for (q, raw) in paragraph.qas.enumerated() {
                    if let limit, examples.count >= limit { break reading }
                    let place = "data[\(a)].paragraphs[\(p)].qas[\(q)]"
                    let name = raw.id.map { "`\($0)`" } ?? "at \(place) (no id)"
                    do {
                        guard let contextScalars, let context else {
                            throw reason(paragraph.contextProblem ?? "its paragraph data[\(a)].paragraphs[\(p)] has no `context`")
                        }
                        let example = try validate(raw, context: context, contextScalars: contextScalars, requireAnswers: requireAnswers)
                        guard seenIDs.insert(example.id).inserted else { throw reason("the id is used by an earlier question too") }
                        examples.append(example)
                    } catch let problem as Problem {
                        let error = SquadDatasetError.invalidQuestion(path: path, question: name, reason: problem.text)
                        guard skipInvalid else { throw error }
                        warn("\(error) (skipped: skip_invalid is true)")
                    }
                }
            }
        }
        guard !examples.isEmpty else { throw SquadDatasetError.noQuestions(path: path) }
        return SquadDataset(examples: examples, version: file.version)
    }

    struct Problem: Error { var text: String }
    static func reason(_ text: String) -> Problem { Problem(text: text) }

    static func validate(_ raw: RawQuestion, context: String, contextScalars: [Unicode.Scalar],
                         requireAnswers: Bool) throws -> SquadExample {
        if let problem = raw.problems.first { throw reason(problem) }
        guard let id = raw.id else { throw reason("missing key `id`") }
        guard let question = raw.question else { throw reason("missing key `question`") }
        guard let rawAnswers = raw.answers else {
            if requireAnswers { throw reason("missing key `answers` (write `\"answers\": []` for an unanswerable question)") }
            return SquadExample(id: id, question: question, context: context, answers: [], hasAnswerKey: false)
        }
        let answers = try rawAnswers.enumerated().map { index, answer in
            try checked(answer, number: index + 1, contextScalars: contextScalars)
        }
        if raw.isImpossible == true && !answers.isEmpty {
            throw reason("`is_impossible` is true but it has \(answers.count) answer(s)")
        }
        // Plausible answers are kept for reference only; a wrong offset there is not an error.
        let plausible = (raw.plausibleAnswers ?? []).compactMap { answer -> SquadAnswer? in
            guard let text = answer.text, let start = answer.answerStart else { return nil }
            return SquadAnswer(text: text, start: start)
        }
        return SquadExample(id: id, question: question, context: context, answers: answers,
                            isImpossible: answers.isEmpty, plausibleAnswers: plausible)
    }

    /// An answer whose text is exactly the context's code points at `answer_start`.
    static func checked(_ answer: RawAnswer, number: Int, contextScalars: [Unicode.Scalar]) throws -> SquadAnswer {
        if let problem = answer.problems.first { throw reason("answer \(number): \(problem)") }
        guard let text = answer.text else { throw reason("answer \(number): missing key `text`") }
        guard let start = answer.answerStart else { throw reason("answer \(number): missing key `answer_start`") }
        let result = SquadAnswer(text: text, start: start)
        guard result.length > 0 else { throw reason("answer \(number): the text is empty") }
        guard start >= 0, result.end <= contextScalars.count else {
            throw reason("answer \(number) \(quoted(text)): answer_start \(start) + its \(result.length) characters "
                         + "is outside the context (\(contextScalars.count) characters)")
        }
        let found = contextScalars[start..<result.end]
        guard found.elementsEqual(text.unicodeScalars) else {
            var there = String.UnicodeScalarView()
            there.append(contentsOf: found)
            throw reason("answer \(number) \(quoted(text)) is not in the context at answer_start \(start) "
                         + "(code points; the context there reads \(quoted(String(there))))")
        }
        return result
    }

    static func quoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func jsonPath(_ keys: [CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }
}

// MARK: the file as decoded

extension SquadReader {
    struct RawFile: Decodable {
        var version: String?
        var data: [RawArticle]

        enum CodingKeys: String, CodingKey { case version, data }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // some files write a number here
            version = (try? container.decodeIfPresent(String.self, forKey: .version))
                ?? (try? container.decodeIfPresent(Double.self, forKey: .version)).flatMap { $0.map { "\($0)" } }
            data = try container.decode([RawArticle].self, forKey: .data)
        }
    }

    struct RawArticle: Decodable {
        var paragraphs: [RawParagraph]
    }

    /// A paragraph; a missing or non-text `context` is reported on each of its questions.
    struct RawParagraph: Decodable {
        var context: String?
        var contextProblem: String?
        var qas: [RawQuestion]

        enum CodingKeys: String, CodingKey { case context, qas }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            (context, contextProblem) = lenient(container, .context, "context")
            qas = try container.decode([RawQuestion].self, forKey: .qas)
        }
    }

    /// A question whose fields never fail the whole file: problems are collected, so the error
    /// can name the question's id.
    struct RawQuestion: Decodable {
        var id: String?
        var question: String?
        var answers: [RawAnswer]?
        var isImpossible: Bool?
        var plausibleAnswers: [RawAnswer]?
        var problems: [String] = []

        enum CodingKeys: String, CodingKey {
            case id, question, answers
            case isImpossible = "is_impossible", plausibleAnswers = "plausible_answers"
        }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            var problem: String?
            (id, problem) = lenient(container, .id, "id")
            if id == nil, let number = try? container.decode(Int.self, forKey: .id) {
                id = String(number)
                problem = nil
            }
            problems += [problem].compactMap { $0 }
            (question, problem) = lenient(container, .question, "question")
            problems += [problem].compactMap { $0 }
            (answers, problem) = lenient(container, .answers, "answers")
            problems += [problem].compactMap { $0 }
            (isImpossible, problem) = lenient(container, .isImpossible, "is_impossible")
            problems += [problem].compactMap { $0 }
            (plausibleAnswers, _) = lenient(container, .plausibleAnswers, "plausible_answers")
        }
    }

    struct RawAnswer: Decodable {
        var text: String?
        var answerStart: Int?
        var problems: [String] = []

        enum CodingKeys: String, CodingKey { case text, answerStart = "answer_start" }
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            var problem: String?
            (text, problem) = lenient(container, .text, "text")
            problems += [problem].compactMap { $0 }
            (answerStart, problem) = lenient(container, .answerStart, "answer_start")
            problems += [problem].compactMap { $0 }
        }
    }
}

/// A key's value, or nil and what is wrong with it (absent keys are nil without a problem).
private func lenient<T: Decodable, K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K, _ name: String) -> (T?, String?) {
    guard container.contains(key) else { return (nil, nil) }
    if (try? container.decodeNil(forKey: key)) == true { return (nil, "`\(name)` is null") }
    do {
        return (try container.decode(T.self, forKey: key), nil)
    } catch {
        return (nil, "`\(name)` is not \(expectedType(T.self))")
    }
}

private func expectedType<T>(_ type: T.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type: return "an integer"
    case is Bool.Type: return "true or false"
    default: return "a list of {\"text\", \"answer_start\"} objects"
    }
}
