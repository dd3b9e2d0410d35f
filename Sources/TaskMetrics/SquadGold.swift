import Foundation

// The gold side of SQuAD scoring: each question's id and its gold answer texts, in dataset order
// (the official scripts sum scores in that order, so it is kept).

public struct SquadGold: Equatable, Sendable {
    public var id: String
    /// Gold answer texts, duplicates included; empty for an unanswerable (SQuAD v2) question.
    var answers: [String]

    public init(id: String, answers: [String]) {
        self.id = id
        self.answers = answers
    }
}

enum SquadMetricsError: Error, CustomStringConvertible, Equatable {
    case unreadableDataset(path: String, reason: String)
    case missingPrediction(id: String)
    case missingNoAnswerProbability(id: String)

    var description: String {
        switch self {
        case let .unreadableDataset(path, reason):
            return "\(path): not a SQuAD dataset file: \(reason)"
        case let .missingPrediction(id):
            return "SQuAD v2 scoring: no prediction for question \(id) (the official script needs one for every question)"
        case let .missingNoAnswerProbability(id):
            return "SQuAD v2 scoring: no no-answer probability for question \(id)"
        }
    }
}

extension SquadMetrics {
    /// The questions of a SQuAD v1.1 or v2.0 JSON file (`data[].paragraphs[].qas[]`).
    public static func goldAnswers(contentsOf url: URL) throws -> [SquadGold] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SquadMetricsError.unreadableDataset(path: url.path, reason: error.localizedDescription)
        }
        return try goldAnswers(json: data, path: url.path)
    }

    /// Same, from the bytes of the file; `path` only names the source in errors.
    static func goldAnswers(json: Data, path: String = "<data>") throws -> [SquadGold] {
        struct Answer: Decodable { var text: String }
        struct Question: Decodable { var id: String; var answers: [Answer] }
        struct Paragraph: Decodable { var qas: [Question] }
        struct Article: Decodable { var paragraphs: [Paragraph] }
        struct File: Decodable { var data: [Article] }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: json)
        } catch let DecodingError.keyNotFound(key, context) {
            let at = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw SquadMetricsError.unreadableDataset(path: path, reason: "missing key \(at)")
        } catch {
            throw SquadMetricsError.unreadableDataset(path: path, reason: "\(error)")
        }
        return file.data.flatMap { article in
            article.paragraphs.flatMap { paragraph in
                paragraph.qas.map { SquadGold(id: $0.id, answers: $0.answers.map(\.text)) }
            }
        }
    }
}
