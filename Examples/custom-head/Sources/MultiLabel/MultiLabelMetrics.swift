/// Micro and macro F1 of multi-label predictions (sets of label indices per example).
/// Micro: F1 of the true/false positives and false negatives summed over labels. Macro: the
/// mean of the per-label F1; a label with no gold and no predicted positive scores 0, as
/// scikit-learn's default (zero_division) does.
public struct MultiLabelMetrics: Equatable {
    public var microF1: Double
    public var macroF1: Double
    public var perLabelF1: [Double]
    /// Examples whose predicted set equals the gold set.
    public var exactMatch: Double

    public init(gold: [Set<Int>], predicted: [Set<Int>], labelCount: Int) {
        precondition(gold.count == predicted.count, "one predicted set per gold set")
        var tp = [Int](repeating: 0, count: labelCount), fp = tp, fn = tp
        for (g, p) in zip(gold, predicted) {
            for label in p { if g.contains(label) { tp[label] += 1 } else { fp[label] += 1 } }
            for label in g where !p.contains(label) { fn[label] += 1 }
        }
        func f1(_ tp: Int, _ fp: Int, _ fn: Int) -> Double {
            let denominator = 2 * tp + fp + fn
            return denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
        }
        perLabelF1 = (0..<labelCount).map { f1(tp[$0], fp[$0], fn[$0]) }
        microF1 = f1(tp.reduce(0, +), fp.reduce(0, +), fn.reduce(0, +))
        macroF1 = labelCount == 0 ? 0 : perLabelF1.reduce(0, +) / Double(labelCount)
        exactMatch = gold.isEmpty ? 0 : Double(zip(gold, predicted).filter { $0 == $1 }.count) / Double(gold.count)
    }
}
