// Exact match and token F1 as the official SQuAD evaluators compute them (evaluate-v1.1.py and
// evaluate-v2.0.py), including their small differences:
// - v1.1: F1 is 0 whenever no token is shared, even when both answers normalise to nothing;
//   a question without a prediction counts in the total with score 0.
// - v2.0: a gold answer that normalises to nothing is dropped ("" stands in when none is left);
//   F1 of two empty token lists is 1; a no-answer probability above the threshold turns the
//   prediction into "no answer"; best_exact / best_f1 sweep that threshold.
// Sums run in dataset order and every formula keeps the script's order of operations, so the
// totals agree to the last bits, not just to 1e-9.

/// evaluate-v1.1.py's result, in percent.
public struct SquadV1Result: Codable, Equatable, Sendable {
    public var exactMatch: Double
    public var f1: Double
    /// Questions in the dataset (the denominator).
    var total: Int
    /// Questions without a prediction (scored 0).
    public var unanswered: Int

    enum CodingKeys: String, CodingKey {
        case exactMatch = "exact_match", f1, total, unanswered
    }
}

/// evaluate-v2.0.py's output dictionary, with its key names; HasAns / NoAns fields are nil when
/// the dataset has no such question, best_* fields when no probabilities were given.
public struct SquadV2Result: Codable, Equatable, Sendable {
    public var exact: Double
    public var f1: Double
    public var total: Int
    public var hasAnsExact: Double?
    public var hasAnsF1: Double?
    public var hasAnsTotal: Int?
    public var noAnsExact: Double?
    public var noAnsF1: Double?
    public var noAnsTotal: Int?
    public var bestExact: Double?
    public var bestExactThresh: Double?
    public var bestF1: Double?
    public var bestF1Thresh: Double?

    enum CodingKeys: String, CodingKey {
        case exact, f1, total
        case hasAnsExact = "HasAns_exact", hasAnsF1 = "HasAns_f1", hasAnsTotal = "HasAns_total"
        case noAnsExact = "NoAns_exact", noAnsF1 = "NoAns_f1", noAnsTotal = "NoAns_total"
        case bestExact = "best_exact", bestExactThresh = "best_exact_thresh"
        case bestF1 = "best_f1", bestF1Thresh = "best_f1_thresh"
    }
}

public enum SquadMetrics {
    // MARK: SQuAD v1.1

    /// evaluate-v1.1.py evaluate(dataset, predictions): percentages over all questions.
    public static func v1(gold: [SquadGold], predictions: [String: String]) -> SquadV1Result {
        var exactMatches = 0
        var f1Sum = 0.0
        var unanswered = 0
        for question in gold {
            guard let prediction = predictions[question.id] else {
                unanswered += 1
                continue
            }
            let predicted = SquadNormalization.normalizedTokens(prediction)
            let golds = question.answers.map(SquadNormalization.normalizedTokens)
            if golds.contains(where: { $0 == predicted }) { exactMatches += 1 }
            f1Sum += golds.map { f1V1(predicted: predicted, gold: $0) }.max() ?? 0
        }
        let total = gold.count
        return SquadV1Result(exactMatch: percent(Double(exactMatches), total), f1: percent(f1Sum, total),
                             total: total, unanswered: unanswered)
    }

    /// v1.1 exact_match_score: equal normalised answers (compared code point by code point).
    static func exactMatch(prediction: String, gold: String) -> Bool {
        SquadNormalization.normalizedTokens(prediction) == SquadNormalization.normalizedTokens(gold)
    }

    /// v1.1 f1_score on the normalised tokens.
    static func f1V1(prediction: String, gold: String) -> Double {
        f1V1(predicted: SquadNormalization.normalizedTokens(prediction),
             gold: SquadNormalization.normalizedTokens(gold))
    }

    // MARK: SQuAD v2.0

    /// evaluate-v2.0.py with `--na-prob-file` when `noAnswerProbabilities` is given (then the best
    /// thresholds are computed too) and `--na-prob-thresh noAnswerThreshold`. Every question
    /// needs a prediction ("" means no answer). Ties among equal probabilities are visited in
    /// dataset order, as the script does for a probability file written in dataset order.
    public static func v2(gold: [SquadGold], predictions: [String: String],
                          noAnswerProbabilities: [String: Double]? = nil,
                          noAnswerThreshold: Double = 1.0) throws -> SquadV2Result {
        var exactRaw: [Double] = []
        var f1Raw: [Double] = []
        for question in gold {
            guard let prediction = predictions[question.id] else {
                throw SquadMetricsError.missingPrediction(id: question.id)
            }
            var golds = question.answers.map(SquadNormalization.normalizedTokens).filter { !$0.isEmpty }
            if golds.isEmpty { golds = [[]] }
            let predicted = SquadNormalization.normalizedTokens(prediction)
            exactRaw.append(golds.contains(where: { $0 == predicted }) ? 1 : 0)
            f1Raw.append(golds.map { f1V2(predicted: predicted, gold: $0) }.max()!)
        }

        // Without a probability file the script uses 0 for every question.
        var probabilities = Array(repeating: 0.0, count: gold.count)
        if let noAnswerProbabilities {
            for (i, question) in gold.enumerated() {
                guard let p = noAnswerProbabilities[question.id] else {
                    throw SquadMetricsError.missingNoAnswerProbability(id: question.id)
                }
                probabilities[i] = p
            }
        }
        let hasAnswer = gold.map { !$0.answers.isEmpty }
        // apply_no_ans_threshold: above the threshold the answer is "no answer", right or wrong.
        func thresholded(_ raw: [Double]) -> [Double] {
            raw.indices.map { i in
                probabilities[i] > noAnswerThreshold ? (hasAnswer[i] ? 0 : 1) : raw[i]
            }
        }
        let exact = thresholded(exactRaw)
        let f1 = thresholded(f1Raw)

        func subset(_ wanted: Bool) -> (exact: Double, f1: Double, total: Int)? {
            let indices = gold.indices.filter { hasAnswer[$0] == wanted }
            guard !indices.isEmpty else { return nil }
            return (percent(indices.reduce(0) { $0 + exact[$1] }, indices.count),
                    percent(indices.reduce(0) { $0 + f1[$1] }, indices.count), indices.count)
        }
        let hasAns = subset(true)
        let noAns = subset(false)
        var result = SquadV2Result(
            exact: percent(exact.reduce(0, +), gold.count), f1: percent(f1.reduce(0, +), gold.count),
            total: gold.count,
            hasAnsExact: hasAns?.exact, hasAnsF1: hasAns?.f1, hasAnsTotal: hasAns?.total,
            noAnsExact: noAns?.exact, noAnsF1: noAns?.f1, noAnsTotal: noAns?.total)
        if noAnswerProbabilities != nil {
            let emptyPrediction = gold.map { predictions[$0.id]!.isEmpty }
            let best = bestThreshold(raw: exactRaw, probabilities: probabilities,
                                     hasAnswer: hasAnswer, emptyPrediction: emptyPrediction)
            let bestF1 = bestThreshold(raw: f1Raw, probabilities: probabilities,
                                       hasAnswer: hasAnswer, emptyPrediction: emptyPrediction)
            result.bestExact = best.score
            result.bestExactThresh = best.threshold
            result.bestF1 = bestF1.score
            result.bestF1Thresh = bestF1.threshold
        }
        return result
    }

    /// find_best_thresh: walk the questions by rising no-answer probability, as if every one up
    /// to here were answered and every later one abstained; keep the best score and the
    /// probability where it was reached. A wrong answer to an unanswerable question costs 1.
    static func bestThreshold(raw: [Double], probabilities: [Double], hasAnswer: [Bool],
                              emptyPrediction: [Bool]) -> (score: Double, threshold: Double) {
        var score = Double(hasAnswer.filter { !$0 }.count)
        var best = score
        var threshold = 0.0
        let order = raw.indices.sorted { (probabilities[$0], $0) < (probabilities[$1], $1) }
        for i in order {
            if hasAnswer[i] {
                score += raw[i]
            } else {
                score += emptyPrediction[i] ? 0 : -1
            }
            if score > best {
                best = score
                threshold = probabilities[i]
            }
        }
        return (percent(best, raw.count), threshold)
    }

    // MARK: shared

    static func f1V1(predicted: [[Unicode.Scalar]], gold: [[Unicode.Scalar]]) -> Double {
        let same = sharedTokenCount(predicted, gold)
        if same == 0 { return 0 }
        return f1(same: same, predicted: predicted.count, gold: gold.count)
    }

    static func f1V2(predicted: [[Unicode.Scalar]], gold: [[Unicode.Scalar]]) -> Double {
        if predicted.isEmpty || gold.isEmpty { return predicted == gold ? 1 : 0 }
        let same = sharedTokenCount(predicted, gold)
        if same == 0 { return 0 }
        return f1(same: same, predicted: predicted.count, gold: gold.count)
    }

    /// sum((Counter(a) & Counter(b)).values())
    static func sharedTokenCount(_ a: [[Unicode.Scalar]], _ b: [[Unicode.Scalar]]) -> Int {
        var counts: [[Unicode.Scalar]: Int] = [:]
        for token in a { counts[token, default: 0] += 1 }
        var same = 0
        for token in b where counts[token, default: 0] > 0 {
            counts[token]! -= 1
            same += 1
        }
        return same
    }

    static func f1(same: Int, predicted: Int, gold: Int) -> Double {
        let precision = 1.0 * Double(same) / Double(predicted)
        let recall = 1.0 * Double(same) / Double(gold)
        return (2 * precision * recall) / (precision + recall)
    }

    /// 100.0 * sum / total, and 0 for an empty dataset (where the scripts divide by zero).
    static func percent(_ sum: Double, _ total: Int) -> Double {
        total == 0 ? 0 : 100.0 * sum / Double(total)
    }
}
