import Backbone
import Foundation

// The prediction files of a token-classification split. Tags are written in the data file's
// own scheme (gold as written; predictions converted from IOB2 by NERLabels.write), so the
// CoNLL file can be compared with the input or fed to conlleval.
//
// predictions.conll: `word gold predicted` per line (`word predicted` for an unlabelled file),
// separated by single spaces, a blank line after each sentence, and a `-DOCSTART- O O` line
// (then a blank line) where the input had one.
// predictions.jsonl: one object per sentence: id (the 1-based line of its first word), words,
// gold (when labelled), predicted.

enum NERPredictionFiles {
    static func conll(_ sentences: [CoNLLSentence], predicted: [[String]]) -> Data {
        var text = ""
        for (sentence, tags) in zip(sentences, predicted) {
            if sentence.startsDocument { text += sentence.writtenTags == nil ? "-DOCSTART- O\n\n" : "-DOCSTART- O O\n\n" }
            for (w, word) in sentence.words.enumerated() {
                text += word
                if let gold = sentence.writtenTags { text += " " + gold[w] }
                text += " " + tags[w] + "\n"
            }
            text += "\n"
        }
        return Data(text.utf8)
    }

    static func jsonLines(_ sentences: [CoNLLSentence], predicted: [[String]]) -> [String] {
        zip(sentences, predicted).map { sentence, tags in
            var object: [String: JSONValue] = [
                "id": .number(Double(sentence.line)),
                "words": .array(sentence.words.map { .string($0) }),
                "predicted": .array(tags.map { .string($0) }),
            ]
            if let gold = sentence.writtenTags { object["gold"] = .array(gold.map { .string($0) }) }
            return jsonLine(object)
        }
    }
}
