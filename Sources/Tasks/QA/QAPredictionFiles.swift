import Backbone
import Foundation

/// The files utils_qa writes, keys in dataset order (as Python's dicts keep them), 4-space
/// indented: `predictions.json` (id -> answer text, the official evaluators' input),
/// `nbest_predictions.json` (id -> the n-best list) and, for SQuAD v2, `null_odds.json`
/// (id -> null score - best non-null score, the evaluator's `--na-prob-file`).
enum QAPredictionFiles {
    static func predictions(ids: [String], predictions: [QAPostProcessor.Prediction]) -> Data {
        object(zip(ids, predictions).map { ($0, fragment(.string($1.text))) })
    }

    static func nBest(ids: [String], predictions: [QAPostProcessor.Prediction]) -> Data {
        object(zip(ids, predictions).map { id, prediction in
            let entries = prediction.nBest.map { candidate in
                fragment(.object(["start_logit": .number(Double(candidate.startLogit)),
                                  "end_logit": .number(Double(candidate.endLogit)),
                                  "text": .string(candidate.text),
                                  "probability": .number(candidate.probability)]))
            }
            return (id, "[" + entries.joined(separator: ", ") + "]")
        })
    }

    static func nullOdds(ids: [String], predictions: [QAPostProcessor.Prediction]) -> Data {
        object(zip(ids, predictions).map { ($0, fragment(.number($1.nullScoreDiff ?? 0))) })
    }

    /// `{"key": value, ...}` with the keys in the given order, one per line.
    static func object(_ members: [(String, String)]) -> Data {
        let lines = members.map { "    " + fragment(.string($0.0)) + ": " + $0.1 }
        return Data(("{\n" + lines.joined(separator: ",\n") + "\n}\n").utf8)
    }

    /// One JSON value as text (sorted keys, no escaped slashes).
    static func fragment(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode([value])) ?? Data("[null]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}
