// Entity-level NER metrics as seqeval 1.2 computes them: micro precision / recall / F1 (what
// papers report for CoNLL-2003), the per-type classification_report with its micro, macro and
// weighted rows, and token accuracy. Entity extraction is in SeqevalChunks.swift.
//
// seqeval's arithmetic, kept on purpose: a 0/0 precision or recall is 0 (zero_division "warn"
// or 0); F1 = 2·P·R / (P + R) from those rounded ratios, 0 when P + R = 0; the weighted row is
// 0 when there is no gold entity at all. Not reproduced: the macro row of a report without any
// entity is NaN in seqeval and 0 here.

public enum SeqevalMode: String, Codable, Sendable {
    /// conlleval-compatible chunking (seqeval's default).
    case `default`
    /// seqeval `mode='strict', scheme=IOB2`.
    case strict
}

/// Precision, recall, F1 and gold support of one entity type or one averaged row.
public struct SeqevalScores: Codable, Equatable, Sendable {
    public internal(set) var precision: Double
    public internal(set) var recall: Double
    public internal(set) var f1: Double
    /// Number of gold entities counted (for averaged rows: of all types).
    public internal(set) var support: Int

    init(precision: Double, recall: Double, f1: Double, support: Int) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

public struct SeqevalTypeScores: Codable, Equatable, Sendable {
    public internal(set) var type: String
    public internal(set) var scores: SeqevalScores
}

public struct SeqevalReport: Codable, Equatable, Sendable {
    public internal(set) var mode: SeqevalMode
    /// Micro-averaged over all entities: seqeval's precision_score / recall_score / f1_score.
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Fraction of tags equal to the gold tag (seqeval accuracy_score); 0 without tags.
    public var accuracy: Double
    /// One row per entity type found in gold or predictions, sorted by code points.
    public internal(set) var perType: [SeqevalTypeScores]
    public internal(set) var microAverage: SeqevalScores
    public internal(set) var macroAverage: SeqevalScores
    public internal(set) var weightedAverage: SeqevalScores
}

public enum Seqeval {
    /// Scores predicted tag sequences against gold ones, sentence by sentence. Throws on
    /// sequences of different lengths and on tags the mode cannot read.
    public static func evaluate(gold: [[String]], predicted: [[String]],
                                mode: SeqevalMode = .default) throws -> SeqevalReport {
        guard gold.count == predicted.count else {
            throw SeqevalError.sentenceCountMismatch(gold: gold.count, predicted: predicted.count)
        }
        for (s, (g, p)) in zip(gold, predicted).enumerated() where g.count != p.count {
            throw SeqevalError.sentenceLengthMismatch(sentence: s, gold: g.count, predicted: p.count)
        }
        let goldEntities: [SeqevalEntity]
        let predictedEntities: [SeqevalEntity]
        switch mode {
        case .default:
            goldEntities = try SeqevalChunks.defaultEntities(gold, source: "gold")
            predictedEntities = try SeqevalChunks.defaultEntities(predicted, source: "predicted")
        case .strict:
            goldEntities = try SeqevalChunks.strictIOB2Entities(gold, source: "gold")
            predictedEntities = try SeqevalChunks.strictIOB2Entities(predicted, source: "predicted")
        }

        // Per type: true positives = entities (same type, same span) in both sets. Types are
        // keyed and sorted by code points, as Python compares strings.
        let goldByType = Dictionary(grouping: goldEntities, by: { Array($0.type.unicodeScalars) }).mapValues(Set.init)
        let predictedByType = Dictionary(grouping: predictedEntities, by: { Array($0.type.unicodeScalars) })
            .mapValues(Set.init)
        let typeKeys = Set(goldByType.keys).union(predictedByType.keys).sorted { $0.lexicographicallyPrecedes($1) }
        let types = typeKeys.map { String(String.UnicodeScalarView($0)) }
        let counts = typeKeys.map { key -> LabelCounts in
            let g = goldByType[key] ?? []
            let p = predictedByType[key] ?? []
            return LabelCounts(truePositives: g.intersection(p).count, predicted: p.count, gold: g.count)
        }

        let perType = zip(types, counts).map { SeqevalTypeScores(type: $0, scores: scores($1)) }
        var total = LabelCounts()
        for c in counts {
            total.truePositives += c.truePositives
            total.predicted += c.predicted
            total.gold += c.gold
        }
        let micro = scores(total)
        return SeqevalReport(
            mode: mode, precision: micro.precision, recall: micro.recall, f1: micro.f1,
            accuracy: tokenAccuracy(gold: gold, predicted: predicted),
            perType: perType, microAverage: micro,
            macroAverage: average(perType.map(\.scores), weighted: false, support: total.gold),
            weightedAverage: average(perType.map(\.scores), weighted: true, support: total.gold))
    }

    /// seqeval accuracy_score: equal tags / all tags, over all sentences.
    static func tokenAccuracy(gold: [[String]], predicted: [[String]]) -> Double {
        var correct = 0
        var total = 0
        for (g, p) in zip(gold, predicted) {
            // Code points, as Python's ==; Swift's String == would also equate canonical equivalents.
            correct += zip(g, p).reduce(0) { $0 + ($1.0.unicodeScalars.elementsEqual($1.1.unicodeScalars) ? 1 : 0) }
            total += g.count
        }
        return ratio(correct, total, .zero)
    }

    /// seqeval's F-score: from the (already zero-division-resolved) precision and recall.
    static func scores(_ c: LabelCounts) -> SeqevalScores {
        let precision = ratio(c.truePositives, c.predicted, .zero)
        let recall = ratio(c.truePositives, c.gold, .zero)
        let denominator = precision + recall
        let f1 = 2 * precision * recall / (denominator == 0 ? 1 : denominator)
        return SeqevalScores(precision: precision, recall: recall, f1: f1, support: c.gold)
    }

    /// numpy average of the per-type rows, unweighted or weighted by gold support.
    static func average(_ rows: [SeqevalScores], weighted: Bool, support: Int) -> SeqevalScores {
        guard !rows.isEmpty, !(weighted && support == 0) else {
            return SeqevalScores(precision: 0, recall: 0, f1: 0, support: support)
        }
        let weights = rows.map { weighted ? Double($0.support) : 1 }
        let weightSum = weights.reduce(0, +)
        func mean(_ value: (SeqevalScores) -> Double) -> Double {
            zip(rows, weights).reduce(0) { $0 + value($1.0) * $1.1 } / weightSum
        }
        return SeqevalScores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: support)
    }
}
