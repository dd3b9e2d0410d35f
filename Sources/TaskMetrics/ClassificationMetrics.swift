// Sequence-classification metrics that reproduce scikit-learn (1.x) to the last bit where it
// matters: accuracy_score, precision_recall_fscore_support / f1_score with average binary, micro,
// macro, weighted and None, matthews_corrcoef and confusion_matrix. Labels are class indices.
//
// scikit-learn rules kept on purpose, because published numbers depend on them:
// - the label set of an average is the sorted union of the labels present in gold or predictions,
//   so a class that never occurs does not drag the macro average down;
// - a 0/0 ratio takes the `zero_division` value (default "warn", which gives 0 without printing);
// - F1 is 2·tp / (gold + predicted), computed from counts, not from the rounded P and R;
// - the weighted average falls back to the plain mean when every weight is 0.
// Deliberately not reproduced: NaN results (empty input, zero_division=nan). An empty input gives
// 0 everywhere so that a report stays valid JSON.

/// What a 0/0 precision, recall or F1 becomes (scikit-learn's `zero_division`).
public enum ZeroDivision: String, Codable, Sendable {
    /// scikit-learn's default: 0 (scikit-learn also prints a warning; BertKit does not).
    case warn
    case zero
    case one

    var value: Double { self == .one ? 1 : 0 }
}

/// scikit-learn's `average=` for precision, recall and F1.
enum ClassificationAverage: Equatable, Sendable {
    /// Scores of `positiveLabel` alone; only valid when at most two labels occur.
    case binary(positiveLabel: Int)
    case micro
    case macro
    case weighted
}

/// Counts behind precision and recall for one label (or, summed, for micro averaging).
struct LabelCounts {
    var truePositives = 0
    var predicted = 0
    var gold = 0

    func scores(_ zeroDivision: ZeroDivision) -> (precision: Double, recall: Double, f1: Double) {
        (ratio(truePositives, predicted, zeroDivision),
         ratio(truePositives, gold, zeroDivision),
         ratio(2 * truePositives, gold + predicted, zeroDivision))
    }
}

/// numerator / denominator, or the zero_division value when the denominator is 0.
func ratio(_ numerator: Int, _ denominator: Int, _ zeroDivision: ZeroDivision) -> Double {
    denominator == 0 ? zeroDivision.value : Double(numerator) / Double(denominator)
}

public enum ClassificationMetrics {
    /// Everything a classification task reports. `labelNames[i]` names class index `i`; every
    /// gold and predicted index must lie in `0..<labelNames.count`. `binary` is filled only when
    /// there are exactly two label names.
    public static func compute(gold: [Int], predicted: [Int], labelNames: [String],
                               positiveLabel: Int = 1,
                               zeroDivision: ZeroDivision = .warn) -> ClassificationReport {
        checkInputs(gold, predicted, classCount: labelNames.count)
        let allLabels = Array(0..<labelNames.count)
        let counts = labelCounts(gold: gold, predicted: predicted, labels: allLabels)
        let perClass = allLabels.map { label -> ClassScores in
            let s = counts[label].scores(zeroDivision)
            return ClassScores(label: labelNames[label], precision: s.precision, recall: s.recall,
                               f1: s.f1, support: counts[label].gold)
        }
        var binary: BinaryScores?
        if labelNames.count == 2 {
            precondition(allLabels.contains(positiveLabel), "positive label \(positiveLabel) is not 0 or 1")
            let s = precisionRecallF1(gold: gold, predicted: predicted,
                                      average: .binary(positiveLabel: positiveLabel), zeroDivision: zeroDivision)
            binary = BinaryScores(positiveLabel: labelNames[positiveLabel], precision: s.precision,
                                  recall: s.recall, f1: s.f1)
        }
        return ClassificationReport(
            count: gold.count,
            accuracy: accuracy(gold: gold, predicted: predicted),
            macro: precisionRecallF1(gold: gold, predicted: predicted, average: .macro, zeroDivision: zeroDivision),
            micro: precisionRecallF1(gold: gold, predicted: predicted, average: .micro, zeroDivision: zeroDivision),
            weighted: precisionRecallF1(gold: gold, predicted: predicted, average: .weighted,
                                        zeroDivision: zeroDivision),
            binary: binary,
            matthewsCorrelation: matthewsCorrelation(gold: gold, predicted: predicted),
            perClass: perClass,
            confusionMatrix: confusionMatrix(gold: gold, predicted: predicted, labels: allLabels),
            labelNames: labelNames)
    }

    /// Fraction of exact matches (scikit-learn accuracy_score); 0 for empty input.
    static func accuracy(gold: [Int], predicted: [Int]) -> Double {
        precondition(gold.count == predicted.count, "gold has \(gold.count) labels, predictions \(predicted.count)")
        let correct = zip(gold, predicted).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return ratio(correct, gold.count, .zero)
    }

    /// scikit-learn's label set: every label in gold or predictions, ascending.
    static func presentLabels(gold: [Int], predicted: [Int]) -> [Int] {
        Set(gold).union(predicted).sorted()
    }

    /// `matrix[i][j]` = number of examples with gold `labels[i]` predicted as `labels[j]`;
    /// examples whose labels are not listed are ignored (as scikit-learn's confusion_matrix).
    static func confusionMatrix(gold: [Int], predicted: [Int], labels: [Int]) -> [[Int]] {
        precondition(gold.count == predicted.count, "gold has \(gold.count) labels, predictions \(predicted.count)")
        var position: [Int: Int] = [:]
        for (i, label) in labels.enumerated() { position[label] = i }
        var matrix = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        for (g, p) in zip(gold, predicted) {
            if let row = position[g], let column = position[p] { matrix[row][column] += 1 }
        }
        return matrix
    }

    /// scikit-learn's precision_recall_fscore_support(average:) over the present labels.
    static func precisionRecallF1(gold: [Int], predicted: [Int], average: ClassificationAverage,
                                         zeroDivision: ZeroDivision = .warn) -> AveragedScores {
        precondition(gold.count == predicted.count, "gold has \(gold.count) labels, predictions \(predicted.count)")
        let present = presentLabels(gold: gold, predicted: predicted)
        switch average {
        case .binary(let positive):
            // scikit-learn refuses 'binary' for multiclass data and an absent positive label
            // when both other labels occur: both are mistakes of the caller.
            precondition(present.count <= 2, "average binary needs at most two labels, found \(present)")
            precondition(present.count < 2 || present.contains(positive),
                         "positive label \(positive) is not one of \(present)")
            let s = labelCounts(gold: gold, predicted: predicted, labels: [positive])[0].scores(zeroDivision)
            return AveragedScores(precision: s.precision, recall: s.recall, f1: s.f1)
        case .micro:
            var total = LabelCounts()
            for c in labelCounts(gold: gold, predicted: predicted, labels: present) {
                total.truePositives += c.truePositives
                total.predicted += c.predicted
                total.gold += c.gold
            }
            let s = total.scores(zeroDivision)
            return AveragedScores(precision: s.precision, recall: s.recall, f1: s.f1)
        case .macro, .weighted:
            let counts = labelCounts(gold: gold, predicted: predicted, labels: present)
            let scores = counts.map { $0.scores(zeroDivision) }
            let weights = average == .weighted ? counts.map { Double($0.gold) } : nil
            return AveragedScores(precision: mean(scores.map(\.precision), weights: weights),
                                  recall: mean(scores.map(\.recall), weights: weights),
                                  f1: mean(scores.map(\.f1), weights: weights))
        }
    }

    /// scikit-learn's matthews_corrcoef (multiclass form, R_K), 0 when a marginal is constant.
    static func matthewsCorrelation(gold: [Int], predicted: [Int]) -> Double {
        let labels = presentLabels(gold: gold, predicted: predicted)
        let c = confusionMatrix(gold: gold, predicted: predicted, labels: labels)
        let k = labels.count
        // Every quantity is an integer held exactly in a Double, in numpy's order of operations.
        let goldSums = (0..<k).map { i in Double(c[i].reduce(0, +)) }
        let predictedSums = (0..<k).map { j in Double((0..<k).reduce(0) { $0 + c[$1][j] }) }
        let correct = Double((0..<k).reduce(0) { $0 + c[$1][$1] })
        let samples = predictedSums.reduce(0, +)
        let covGoldPredicted = correct * samples - dot(goldSums, predictedSums)
        let covPredicted = samples * samples - dot(predictedSums, predictedSums)
        let covGold = samples * samples - dot(goldSums, goldSums)
        let product = covPredicted * covGold
        return product == 0 ? 0 : covGoldPredicted / product.squareRoot()
    }

    static func labelCounts(gold: [Int], predicted: [Int], labels: [Int]) -> [LabelCounts] {
        var position: [Int: Int] = [:]
        for (i, label) in labels.enumerated() { position[label] = i }
        var counts = Array(repeating: LabelCounts(), count: labels.count)
        for (g, p) in zip(gold, predicted) {
            if let i = position[g] {
                counts[i].gold += 1
                if g == p { counts[i].truePositives += 1 }
            }
            if let j = position[p] { counts[j].predicted += 1 }
        }
        return counts
    }

    /// numpy's average as scikit-learn's _nanaverage uses it: sum(a·w)/sum(w), the plain mean
    /// when there are no weights or they sum to 0, and 0 (instead of NaN) for no values.
    static func mean(_ values: [Double], weights: [Double]?) -> Double {
        guard !values.isEmpty else { return 0 }
        if let weights, weights.reduce(0, +) != 0 {
            return zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 } / weights.reduce(0, +)
        }
        return values.reduce(0, +) / Double(values.count)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }

    static func checkInputs(_ gold: [Int], _ predicted: [Int], classCount: Int) {
        precondition(gold.count == predicted.count, "gold has \(gold.count) labels, predictions \(predicted.count)")
        precondition(gold.allSatisfy { (0..<classCount).contains($0) }
                     && predicted.allSatisfy { (0..<classCount).contains($0) },
                     "a label index lies outside 0..<\(classCount)")
    }
}
