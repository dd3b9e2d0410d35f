import Backbone
import Heads
import Tensor

/// Token classification with a linear-chain CRF over the words (NER): dropout -> `classifier`
/// (K, C) on every token gives emission scores ("logits", as the linear head); the CRF scores
/// whole tag paths over each sequence's words (the positions whose label is not -100, i.e. each
/// word's first sub-token) with `crf.transitions` (K, K) [from, to], `crf.start_transitions` (K)
/// and `crf.end_transitions` (K).
///
/// Loss: the CRF negative log-likelihood, mean over the windows of the batch; each window is
/// its own chain. Decoding: Viterbi over a sentence's merged word sequence (the task kind merges
/// windows, then calls `decode(sequenceScores:classes:)`).
///
/// With `constrainIOB2` (head_config `constrain_iob2`, default true), IOB2-invalid transitions
/// (I-X after O or after another type) are masked to -inf in training and decoding, and I-X at
/// the start of a sentence is forbidden in decoding. Training does not mask starts: a window
/// may begin inside an entity. A gold I-X after an invalid predecessor (data not clean IOB2) is
/// trained as B-X, as seqeval's default mode reads it.
///
/// Checkpoints: architecture "BertForTokenClassificationCRF", a name transformers does not
/// know (it will not load the checkpoint; the `bert.*` and `classifier.*` tensors are the
/// BertForTokenClassification ones).
public final class CRFTokenClassificationHead: Head {
    public let classifier: Linear
    /// (K, K): the score of tag `from` followed by tag `to`, at [from · K + to].
    public let transitions: Tensor
    public let startTransitions: Tensor
    public let endTransitions: Tensor
    public let labels: [String]
    public let dropoutProbability: Float
    public let constraint: IOB2Constraint
    public var name: String { "token-classification-crf" }
    public var architecture: String { CRFHeads.architecture }
    /// The chains run over labelled positions only; padding carries label -100.
    public var readsPaddingPositions: Bool { false }

    public init(hiddenSize: Int, labels: [String], dropout: Float, constrainIOB2: Bool = true) {
        let k = labels.count
        classifier = Linear(inFeatures: hiddenSize, outFeatures: k)
        transitions = Tensor(zeros: [k, k], requiresGrad: true)
        startTransitions = Tensor(zeros: [k], requiresGrad: true)
        endTransitions = Tensor(zeros: [k], requiresGrad: true)
        self.labels = labels
        dropoutProbability = dropout
        constraint = constrainIOB2 ? IOB2Constraint(labels: labels) : IOB2Constraint(unconstrained: k)
    }

    /// "logits": (B, T, K) emission scores
    public func callAsFunction(_ backbone: BertOutput, batch: TokenBatch, training: Bool, stream: inout RandomStream) -> HeadOutput {
        let dropped = dropout(backbone.lastHiddenState, probability: dropoutProbability, training: training, stream: &stream)
        return HeadOutput(["logits": classifier(dropped)], perToken: ["logits"])
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets) throws -> Tensor {
        try loss(output, targets: targets, denominator: nil)
    }

    /// The windows with a labelled position (the others are left out of the mean).
    public func lossDenominators(_ output: HeadOutput, targets: any HeadTargets) throws -> [Double] {
        let tokenLabels = try requireTargets(TokenLabels.self, in: targets).labels
        let logits = output["logits"]!
        let (b, t) = (logits.shape[0], logits.shape[1])
        return [Double((0..<b).filter { row in (0..<t).contains { tokenLabels[row * t + $0] != -100 } }.count)]
    }

    public func loss(_ output: HeadOutput, targets: any HeadTargets, denominators: [Double]) throws -> Tensor {
        try loss(output, targets: targets, denominator: denominators[0])
    }

    private func loss(_ output: HeadOutput, targets: any HeadTargets, denominator: Double?) throws -> Tensor {
        let tokenLabels = try requireTargets(TokenLabels.self, in: targets).labels
        let logits = output["logits"]!
        let (b, t) = (logits.shape[0], logits.shape[1])
        // each row's gold path, repaired where it takes a masked transition
        var tags = tokenLabels
        for row in 0..<b {
            let positions = (0..<t).filter { tokenLabels[row * t + $0] != -100 }
            let repaired = constraint.repaired(positions.map { Int(tokenLabels[row * t + $0]) }, labels: labels)
            for (position, tag) in zip(positions, repaired) { tags[row * t + position] = Int32(tag) }
        }
        return crfNegativeLogLikelihood(emissions: logits, tags: tags, transitions: transitions, start: startTransitions,
                                        end: endTransitions, allowedTransition: constraint.allowedTransition, denominator: denominator)
    }

    /// Viterbi over one sentence's word-level emission scores (N, K).
    public func decode(sequenceScores scores: [Float], classes: Int) -> [Int]? {
        precondition(classes == labels.count, "decode: \(classes) classes for a CRF over \(labels.count) tags")
        let chain = CRFChain(transitions: transitions, start: startTransitions, end: endTransitions,
                             allowed: constraint.allowedTransition)
        return chain.bestPath(emissions: scores.map(Double.init), allowedStart: constraint.allowedStart)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("classifier", classifier.namedParameters)
            + [("crf.transitions", transitions), ("crf.start_transitions", startTransitions), ("crf.end_transitions", endTransitions)]
    }
}
