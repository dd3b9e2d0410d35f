// The Codable result of ClassificationMetrics.compute: what a sequence-classification task writes
// into metrics.json. Field meanings follow scikit-learn (see ClassificationMetrics.swift).

/// Precision, recall and F1 of one averaging mode (scikit-learn's `average=`).
public struct AveragedScores: Codable, Equatable, Sendable {
    public var precision: Double
    public var recall: Double
    public var f1: Double

    init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }
}

/// Scores of one class, as scikit-learn's `precision_recall_fscore_support(average=None)` row.
public struct ClassScores: Codable, Equatable, Sendable {
    public internal(set) var label: String
    public internal(set) var precision: Double
    public internal(set) var recall: Double
    public internal(set) var f1: Double
    /// Number of gold examples of this class.
    public internal(set) var support: Int

    init(label: String, precision: Double, recall: Double, f1: Double, support: Int) {
        self.label = label
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// `average='binary'`: the scores of the positive class alone.
public struct BinaryScores: Codable, Equatable, Sendable {
    public internal(set) var positiveLabel: String
    public var precision: Double
    public var recall: Double
    public var f1: Double

    init(positiveLabel: String, precision: Double, recall: Double, f1: Double) {
        self.positiveLabel = positiveLabel
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }
}

public struct ClassificationReport: Codable, Equatable, Sendable {
    /// Number of examples scored.
    public internal(set) var count: Int
    public var accuracy: Double
    /// Unweighted mean over the labels present in gold or predictions (scikit-learn's label set).
    public var macro: AveragedScores
    /// From the summed counts; for single-label data precision = recall = F1 = accuracy.
    public var micro: AveragedScores
    /// Mean over present labels weighted by gold support.
    public var weighted: AveragedScores
    /// Only for two-label tasks (nil otherwise), with `positiveLabel` (default index 1).
    public var binary: BinaryScores?
    /// Matthews correlation coefficient, scikit-learn's multiclass formula (0 when undefined).
    public var matthewsCorrelation: Double
    /// One row per entry of `labelNames`, in that order, including labels that never occur
    /// (their scores are 0, as scikit-learn with `labels=range(n)` and zero_division 0).
    public internal(set) var perClass: [ClassScores]
    /// `confusionMatrix[gold][predicted]` counts over every entry of `labelNames`.
    public internal(set) var confusionMatrix: [[Int]]
    public internal(set) var labelNames: [String]

    init(count: Int, accuracy: Double, macro: AveragedScores, micro: AveragedScores,
                weighted: AveragedScores, binary: BinaryScores?, matthewsCorrelation: Double,
                perClass: [ClassScores], confusionMatrix: [[Int]], labelNames: [String]) {
        self.count = count
        self.accuracy = accuracy
        self.macro = macro
        self.micro = micro
        self.weighted = weighted
        self.binary = binary
        self.matthewsCorrelation = matthewsCorrelation
        self.perClass = perClass
        self.confusionMatrix = confusionMatrix
        self.labelNames = labelNames
    }
}
