import Foundation
import Tensor

/// The negative log-likelihood of a linear-chain CRF, mean over the sequences of a batch.
///
/// emissions (B, T, K); tags (B·T): the gold tag of each position in the chain, -100 for
/// positions outside it (special tokens, later sub-tokens, padding, context words), so each
/// sequence's chain is its labelled positions in order; transitions (K, K) [from, to]; start (K);
/// end (K). `allowedTransition` (K·K, [from·K + to]) masks transitions to -inf (a gold path must
/// not take one). Sequences without a labelled position are left out of the mean; a batch
/// without any gives 0. Computed in Double (CRFChain); returns a scalar. `denominator`, when
/// given, replaces the number of sequences in the mean (data-parallel training divides by the
/// sum over all ranks).
public func crfNegativeLogLikelihood(emissions: Tensor, tags: [Int32], transitions: Tensor, start: Tensor, end: Tensor,
                                     allowedTransition: [Bool]? = nil, denominator: Double? = nil) -> Tensor {
    Profiler.measure(.loss) {
        precondition(emissions.rank == 3, "crfNegativeLogLikelihood: emissions must be (B, T, K), got \(emissions.shape)")
        let (b, t, k) = (emissions.shape[0], emissions.shape[1], emissions.shape[2])
        precondition(tags.count == b * t, "crfNegativeLogLikelihood: \(tags.count) tags for \(b)×\(t) positions")
        precondition(transitions.shape == [k, k] && start.shape == [k] && end.shape == [k], "crfNegativeLogLikelihood: CRF parameters for \(k) tags")
        precondition(allowedTransition == nil || allowedTransition!.count == k * k, "crfNegativeLogLikelihood: mask for \(k) tags")
        let chain = CRFChain(transitions: transitions, start: start, end: end, allowed: allowedTransition)
        var sequences: [CRFNegativeLogLikelihoodOp.Sequence] = []
        var total = 0.0
        for row in 0..<b {
            let positions = (0..<t).filter { tags[row * t + $0] != -100 }
            guard !positions.isEmpty else { continue }
            let path = positions.map { Int(tags[row * t + $0]) }
            precondition(path.allSatisfy { 0 <= $0 && $0 < k }, "crfNegativeLogLikelihood: a tag outside 0..<\(k) in row \(row)")
            let e = wordEmissions(emissions, row: row, positions: positions)
            let (alpha, logPartition) = chain.forward(emissions: e)
            let nll = logPartition - chain.score(path, emissions: e)
            precondition(nll.isFinite, "crfNegativeLogLikelihood: the gold path of row \(row) takes a forbidden transition")
            total += nll
            sequences.append(.init(row: row, positions: positions, path: path, emissions: e, alpha: alpha, logPartition: logPartition))
        }
        let divisor = denominator ?? Double(sequences.count)
        let out = Tensor(scalar: sequences.isEmpty ? 0 : Float(total / divisor))
        return Autograd.record(CRFNegativeLogLikelihoodOp(chain: chain, sequences: sequences, sequenceLength: t, divisor: divisor),
                               inputs: [emissions, transitions, start, end], output: out)
    }
}

/// One row's chain: e (N, K) gathered from the emissions at `positions`, as Double.
func wordEmissions(_ emissions: Tensor, row: Int, positions: [Int]) -> [Double] {
    let t = emissions.shape[1], k = emissions.shape[2]
    var e = [Double](repeating: 0, count: positions.count * k)
    for (i, position) in positions.enumerated() {
        let source = emissions.data + (row * t + position) * k
        for j in 0..<k { e[i * k + j] = Double(source[j]) }
    }
    return e
}

extension CRFChain {
    /// A chain from the parameter tensors, forbidden transitions at -inf.
    init(transitions: Tensor, start: Tensor, end: Tensor, allowed: [Bool]?) {
        let k = start.count
        self.init(classes: k, start: start.values.map(Double.init), end: end.values.map(Double.init),
                  transitions: transitions.values.enumerated().map { (allowed?[$0.offset] ?? true) ? Double($0.element) : -.infinity })
    }
}

/// Backward by forward-backward marginals. With p_i(j) = exp(alpha[i,j] + beta[i,j] - log Z)
/// (tag j at position i) and ξ_i(j,k) = exp(alpha[i-1,j] + A[j,k] + e[i,k] + beta[i,k] - log Z)
/// (tags j, k at positions i-1, i), the derivatives of NLL = log Z - score(y) are
///   d/d e[i, j] = p_i(j) - [y_i = j]
///   d/d s[j]    = p_0(j) - [y_0 = j]
///   d/d z[j]    = p_{N-1}(j) - [y_{N-1} = j]
///   d/d A[j, k] = Σ_{i≥1} ξ_i(j,k) - #{i : y_{i-1} = j, y_i = k}     (0 for a masked transition)
/// each times gradOutput / (number of sequences).
struct CRFNegativeLogLikelihoodOp: BackwardOp {
    /// What the forward saved for one row: its chain and its forward pass.
    struct Sequence {
        let row: Int
        let positions: [Int]
        let path: [Int]
        /// e (N, K), Double
        let emissions: [Double]
        /// alpha (N, K)
        let alpha: [Double]
        let logPartition: Double
    }

    let chain: CRFChain
    let sequences: [Sequence]
    let sequenceLength: Int
    /// What the mean divides by: the sequences with a labelled position (or the given denominator).
    let divisor: Double
    var name: String { "crf_negative_log_likelihood" }
    var category: Profiler.Category { .loss }

    func backward(gradOutput: Tensor, inputs: [Tensor], output: Tensor) {
        guard !sequences.isEmpty else { return }
        let k = chain.classes, t = sequenceLength
        let factor = Double(gradOutput.item) / divisor
        var dStart = [Double](repeating: 0, count: k), dEnd = dStart
        var dTransitions = [Double](repeating: 0, count: k * k)
        let dEmissions: UnsafeMutablePointer<Float>? = inputs[0].requiresGrad ? inputs[0].gradBuffer().data : nil
        for sequence in sequences {
            let e = sequence.emissions, alpha = sequence.alpha, logZ = sequence.logPartition, path = sequence.path
            let n = path.count
            let beta = chain.backward(emissions: e)
            for i in 0..<n {
                for j in 0..<k {
                    var g = Glibc.exp(alpha[i * k + j] + beta[i * k + j] - logZ)
                    if path[i] == j { g -= 1 }
                    if let dEmissions { dEmissions[(sequence.row * t + sequence.positions[i]) * k + j] += Float(factor * g) }
                    if i == 0 { dStart[j] += g }
                    if i == n - 1 { dEnd[j] += g }
                }
                guard i > 0 else { continue }
                for from in 0..<k {
                    for to in 0..<k where chain.transitions[from * k + to] > -.infinity {
                        dTransitions[from * k + to] += Glibc.exp(alpha[(i - 1) * k + from] + chain.transitions[from * k + to]
                                                                      + e[i * k + to] + beta[i * k + to] - logZ)
                    }
                }
                dTransitions[path[i - 1] * k + path[i]] -= 1
            }
        }
        for (input, gradient) in [(inputs[1], dTransitions), (inputs[2], dStart), (inputs[3], dEnd)] where input.requiresGrad {
            let buffer = input.gradBuffer().data
            for (index, g) in gradient.enumerated() { buffer[index] += Float(factor * g) }
        }
    }
}
