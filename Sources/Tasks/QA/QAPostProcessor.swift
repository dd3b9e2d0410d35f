import Foundation

/// Start and end logits of an example's windows -> its answer, as transformers' utils_qa
/// `postprocess_qa_predictions`:
/// 1. per window: the `nBestSize` highest start logits and end logits; every pair of them where
///    both tokens are in the context, end >= start and the span has at most `maxAnswerLength`
///    tokens is a candidate, scored start logit + end logit, its text
///    `context[offsets[start].lowerBound ..< offsets[end].upperBound]` (code points);
/// 2. the null score: the [CLS] score (start[0] + end[0]) of the window where it is the lowest;
/// 3. the `nBestSize` best candidates (v2: with the null answer among them), "empty" when there
///    is none, probabilities = softmax of their scores;
/// 4. v1: the best candidate. v2: "" when null score - best non-null score >
///    `nullScoreDiffThreshold`, else the best non-null candidate.
struct QAPostProcessor: Sendable {
    var nBestSize: Int
    var maxAnswerLength: Int
    var versionTwoWithNegative: Bool
    var nullScoreDiffThreshold: Double

    init(nBestSize: Int = 20, maxAnswerLength: Int = 30, versionTwoWithNegative: Bool = false,
                nullScoreDiffThreshold: Double = 0) {
        self.nBestSize = nBestSize
        self.maxAnswerLength = maxAnswerLength
        self.versionTwoWithNegative = versionTwoWithNegative
        self.nullScoreDiffThreshold = nullScoreDiffThreshold
    }

    /// One window's logits (unpadded, one per token) and its context offsets.
    struct WindowLogits {
        var start: [Float]
        var end: [Float]
        var contextOffsets: [Range<Int>?]

        init(start: [Float], end: [Float], contextOffsets: [Range<Int>?]) {
            self.start = start
            self.end = end
            self.contextOffsets = contextOffsets
        }
    }

    /// One n-best entry. The null answer has an empty text and `offsets` 0..<0.
    struct Candidate: Sendable, Equatable {
        var text: String
        /// Code points of the answer in the context (end exclusive).
        var offsets: Range<Int>
        var startLogit: Float
        var endLogit: Float
        var score: Float
        var probability: Double
        var isNull: Bool
    }

    /// An example's answer.
    struct Prediction: Sendable, Equatable {
        /// The answer text; "" for "no answer" (v2).
        var text: String
        /// Where the chosen candidate is in the context (0..<0 for no answer).
        var offsets: Range<Int>
        /// The chosen candidate's probability among the n-best (0 for no answer).
        var probability: Double
        /// n-best candidates, best first.
        var nBest: [Candidate]
        /// v2: null score - best non-null score (null_odds.json); nil for v1.
        var nullScoreDiff: Double?
    }

    func predict(context: String, windows: [WindowLogits]) -> Prediction {
        let contextScalars = Array(context.unicodeScalars)
        var preliminary: [Candidate] = []
        var minimumNull: Candidate?
        for window in windows {
            precondition(window.start.count == window.end.count && window.start.count == window.contextOffsets.count,
                         "a window's logits and offsets differ in length")
            guard !window.start.isEmpty else { continue }
            let nullScore = window.start[0] + window.end[0]
            if minimumNull == nil || minimumNull!.score > nullScore {
                minimumNull = Candidate(text: "", offsets: 0..<0, startLogit: window.start[0], endLogit: window.end[0],
                                        score: nullScore, probability: 0, isNull: true)
            }
            let offsets = window.contextOffsets
            let endIndices = Self.topIndices(window.end, count: nBestSize)
            for startIndex in Self.topIndices(window.start, count: nBestSize) {
                for endIndex in endIndices {
                    // both ends in the context
                    guard let startOffsets = offsets[startIndex], let endOffsets = offsets[endIndex] else { continue }
                    guard endIndex >= startIndex, endIndex - startIndex + 1 <= maxAnswerLength else { continue }
                    let span = startOffsets.lowerBound..<max(startOffsets.lowerBound, endOffsets.upperBound)
                    preliminary.append(Candidate(text: Self.text(contextScalars, span), offsets: span,
                                                 startLogit: window.start[startIndex], endLogit: window.end[endIndex],
                                                 score: window.start[startIndex] + window.end[endIndex],
                                                 probability: 0, isNull: false))
                }
            }
        }
        if versionTwoWithNegative, let minimumNull { preliminary.append(minimumNull) }
        // Python's sorted(reverse=True) is stable: equal scores keep the order they were found in.
        var best = preliminary.enumerated()
            .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            .prefix(nBestSize).map(\.element)
        if versionTwoWithNegative, let minimumNull, !best.contains(where: \.isNull) { best.append(minimumNull) }
        if best.isEmpty || (best.count == 1 && best[0].text.isEmpty) {
            // utils_qa's stand-in when no span is possible at all
            best.insert(Candidate(text: "empty", offsets: 0..<0, startLogit: 0, endLogit: 0, score: 0, probability: 0, isNull: false), at: 0)
        }
        let probabilities = Self.softmax(best.map(\.score))
        for i in best.indices { best[i].probability = probabilities[i] }

        guard versionTwoWithNegative else {
            return Prediction(text: best[0].text, offsets: best[0].offsets, probability: best[0].probability, nBest: best, nullScoreDiff: nil)
        }
        let nullScore = minimumNull?.score ?? 0
        guard let answer = best.first(where: { !$0.text.isEmpty }) else {
            return Prediction(text: "", offsets: 0..<0, probability: 0, nBest: best, nullScoreDiff: nil)
        }
        // in Float, as numpy does with float32 logits
        let difference = Double(nullScore - answer.startLogit - answer.endLogit)
        if difference > nullScoreDiffThreshold {
            return Prediction(text: "", offsets: 0..<0, probability: best.first(where: \.isNull)?.probability ?? 0,
                              nBest: best, nullScoreDiff: difference)
        }
        return Prediction(text: answer.text, offsets: answer.offsets, probability: answer.probability, nBest: best,
                          nullScoreDiff: difference)
    }

    /// Indices of the `count` largest values, largest first (ties: the lower index first).
    static func topIndices(_ values: [Float], count: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(count))
    }

    static func text(_ scalars: [Unicode.Scalar], _ range: Range<Int>) -> String {
        let clamped = range.clamped(to: 0..<scalars.count)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[clamped])
        return String(view)
    }

    /// exp(x - max) / sum, in Double.
    static func softmax(_ scores: [Float]) -> [Double] {
        guard let top = scores.max() else { return [] }
        let e = scores.map { Foundation.exp(Double($0 - top)) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }
}
