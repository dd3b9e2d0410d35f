// Entity extraction as seqeval 1.2 does it, in its two modes.
//
// Default mode (conlleval-compatible, seqeval's get_entities): a tag's first code point is its
// prefix and the part after the first "-" its type ("O" has type "_"). Sentences are joined with
// an "O" between them, so entities never cross a sentence. A chunk ends or starts by the
// end_of_chunk / start_of_chunk rules below, which accept IOB1, IOB2 and IOBES alike and
// treat an ill-formed "I-X" after "O" as the start of an X entity.
//
// Strict mode (mode='strict', scheme=IOB2): an entity is a "B-X" followed by any number of "I-X";
// a stray "I-X" is no entity at all, and any prefix other than B, I, O is an error.

/// One entity: its type and the positions of its first and last tag (inclusive). In default mode
/// positions run over all sentences joined; in strict mode they are within `sentence`.
struct SeqevalEntity: Hashable {
    var type: String
    var sentence: Int
    var start: Int
    var end: Int
}

enum SeqevalError: Error, CustomStringConvertible, Equatable {
    case sentenceCountMismatch(gold: Int, predicted: Int)
    case sentenceLengthMismatch(sentence: Int, gold: Int, predicted: Int)
    /// `sentence` and `position` are 0-based; `source` says whether the tag came from gold or predictions.
    case invalidTag(tag: String, source: String, sentence: Int, position: Int, reason: String)

    var description: String {
        switch self {
        case let .sentenceCountMismatch(gold, predicted):
            return "seqeval: \(gold) gold sentences but \(predicted) predicted sentences"
        case let .sentenceLengthMismatch(sentence, gold, predicted):
            return "seqeval: sentence \(sentence) has \(gold) gold tags but \(predicted) predicted tags"
        case let .invalidTag(tag, source, sentence, position, reason):
            return "seqeval: \(source) tag \"\(tag)\" (sentence \(sentence), token \(position)): \(reason)"
        }
    }
}

enum SeqevalChunks {
    // MARK: default mode

    /// seqeval get_entities over sentences joined by "O".
    static func defaultEntities(_ sentences: [[String]], source: String) throws -> [SeqevalEntity] {
        var entities: [SeqevalEntity] = []
        var previousPrefix: Unicode.Scalar = "O"
        var previousType = ""
        var begin = 0
        var offset = 0
        // Each sentence is followed by an "O"; the trailing "O" of the last one closes the
        // final chunk exactly as the extra "O" that get_entities appends.
        for (s, sentence) in sentences.enumerated() {
            for position in 0...sentence.count {
                let (prefix, type): (Unicode.Scalar, String)
                if position < sentence.count {
                    guard let split = splitDefault(sentence[position]) else {
                        throw SeqevalError.invalidTag(tag: sentence[position], source: source, sentence: s,
                                                      position: position, reason: "empty tag")
                    }
                    (prefix, type) = split
                } else {
                    (prefix, type) = ("O", "_")
                }
                let i = offset + position
                if endOfChunk(previousPrefix, prefix, previousType, type) {
                    entities.append(SeqevalEntity(type: previousType, sentence: 0, start: begin, end: i - 1))
                }
                if startOfChunk(previousPrefix, prefix, previousType, type) { begin = i }
                previousPrefix = prefix
                previousType = type
            }
            offset += sentence.count + 1
        }
        return entities
    }

    /// Prefix = first code point; type = text after the first "-" of the rest (the whole rest if
    /// it has no "-"), or "_" when that is empty. Nil for an empty tag.
    static func splitDefault(_ tag: String) -> (Unicode.Scalar, String)? {
        var scalars = tag.unicodeScalars[...]
        guard let prefix = scalars.popFirst() else { return nil }
        if let dash = scalars.firstIndex(of: "-") {
            scalars = scalars[scalars.index(after: dash)...]
        }
        let type = String(String.UnicodeScalarView(scalars))
        return (prefix, type.isEmpty ? "_" : type)
    }

    static func endOfChunk(_ previousPrefix: Unicode.Scalar, _ prefix: Unicode.Scalar,
                           _ previousType: String, _ type: String) -> Bool {
        if previousPrefix == "E" || previousPrefix == "S" { return true }
        if previousPrefix == "B" || previousPrefix == "I", prefix == "B" || prefix == "S" || prefix == "O" {
            return true
        }
        return previousPrefix != "O" && previousPrefix != "." && previousType != type
    }

    static func startOfChunk(_ previousPrefix: Unicode.Scalar, _ prefix: Unicode.Scalar,
                             _ previousType: String, _ type: String) -> Bool {
        if prefix == "B" || prefix == "S" { return true }
        if previousPrefix == "E" || previousPrefix == "S" || previousPrefix == "O", prefix == "E" || prefix == "I" {
            return true
        }
        return prefix != "O" && prefix != "." && previousType != type
    }

    // MARK: strict mode, IOB2

    private enum StrictPrefix { case begin, inside, outside }

    private struct StrictToken {
        var prefix: StrictPrefix
        var type: String
    }

    /// seqeval Entities(sentences, IOB2): per sentence, B-X then I-X*, positions [start, end).
    static func strictIOB2Entities(_ sentences: [[String]], source: String) throws -> [SeqevalEntity] {
        var entities: [SeqevalEntity] = []
        for (s, sentence) in sentences.enumerated() {
            var tokens = try sentence.enumerated().map { position, tag in
                try strictToken(tag, source: source, sentence: s, position: position)
            }
            tokens.append(StrictToken(prefix: .outside, type: "_"))
            var i = 0
            while i < tokens.count {
                guard tokens[i].prefix == .begin else { i += 1; continue }
                var end = i + 1
                while tokens[end].prefix == .inside && tokens[end].type == tokens[i].type { end += 1 }
                // In IOB2 whatever stops the run also ends the entity, so no end check is needed.
                entities.append(SeqevalEntity(type: tokens[i].type, sentence: s, start: i, end: end))
                i = end
            }
        }
        return entities
    }

    /// The type is the rest after the prefix with "-" stripped from both ends ("_" if empty).
    private static func strictToken(_ tag: String, source: String, sentence: Int, position: Int) throws -> StrictToken {
        var scalars = tag.unicodeScalars[...]
        let prefix: StrictPrefix
        switch scalars.popFirst() {
        case "B": prefix = .begin
        case "I": prefix = .inside
        case "O": prefix = .outside
        default:
            throw SeqevalError.invalidTag(tag: tag, source: source, sentence: sentence, position: position,
                                          reason: "strict IOB2 allows only the prefixes B, I and O")
        }
        while scalars.first == "-" { scalars.removeFirst() }
        while scalars.last == "-" { scalars.removeLast() }
        let type = String(String.UnicodeScalarView(scalars))
        return StrictToken(prefix: prefix, type: type.isEmpty ? "_" : type)
    }
}
