import Foundation

// A linear-chain CRF's sums over tag paths, in Double, for one sequence.
// Legend: N positions (words), K tags; emissions e (N, K) row-major; transitions A (K, K) with
// A[i·K + j] the score of tag i followed by tag j, -inf where forbidden; start s (K), end z (K).
//
//   score(y) = s[y0] + Σ_i e[i, y_i] + Σ_{i≥1} A[y_{i-1}, y_i] + z[y_{N-1}]
//   log Z    = log Σ_y exp score(y)
//   NLL(y)   = log Z - score(y)

/// The parameters of a chain, with the forbidden transitions already at -inf.
struct CRFChain {
    let classes: Int
    let start: [Double]
    let end: [Double]
    let transitions: [Double]

    /// score(y) of one path.
    func score(_ path: [Int], emissions e: [Double]) -> Double {
        let k = classes
        var total = start[path[0]] + end[path[path.count - 1]]
        for (i, tag) in path.enumerated() {
            total += e[i * k + tag]
            if i > 0 { total += transitions[path[i - 1] * k + tag] }
        }
        return total
    }

    /// Forward pass: alpha[i, j] = log Σ over paths of positions 0...i ending in j of their
    /// partial score (emissions up to and including i); log Z from the last row and the end scores.
    ///   alpha[0, j] = s[j] + e[0, j]
    ///   alpha[i, j] = logsumexp_k(alpha[i-1, k] + A[k, j]) + e[i, j]
    func forward(emissions e: [Double]) -> (alpha: [Double], logPartition: Double) {
        let k = classes, n = e.count / k
        var alpha = [Double](repeating: 0, count: n * k)
        for j in 0..<k { alpha[j] = start[j] + e[j] }
        var terms = [Double](repeating: 0, count: k)
        for i in 1..<max(n, 1) {
            for j in 0..<k {
                for from in 0..<k { terms[from] = alpha[(i - 1) * k + from] + transitions[from * k + j] }
                alpha[i * k + j] = logSumExp(terms) + e[i * k + j]
            }
        }
        for j in 0..<k { terms[j] = alpha[(n - 1) * k + j] + end[j] }
        return (alpha, logSumExp(terms))
    }

    /// Backward pass: beta[i, j] = log Σ over paths of positions i+1...N-1 following j of their
    /// score (transitions out of j, later emissions, the end score).
    ///   beta[N-1, j] = z[j]
    ///   beta[i, j]   = logsumexp_k(A[j, k] + e[i+1, k] + beta[i+1, k])
    func backward(emissions e: [Double]) -> [Double] {
        let k = classes, n = e.count / k
        var beta = [Double](repeating: 0, count: n * k)
        for j in 0..<k { beta[(n - 1) * k + j] = end[j] }
        var terms = [Double](repeating: 0, count: k)
        for i in stride(from: n - 2, through: 0, by: -1) {
            for j in 0..<k {
                for to in 0..<k { terms[to] = transitions[j * k + to] + e[(i + 1) * k + to] + beta[(i + 1) * k + to] }
                beta[i * k + j] = logSumExp(terms)
            }
        }
        return beta
    }

    /// The highest-scoring path (Viterbi), with starts forbidden where `allowedStart` is false.
    /// Ties go to the lower tag index.
    func bestPath(emissions e: [Double], allowedStart: [Bool]? = nil) -> [Int] {
        let k = classes, n = e.count / k
        guard n > 0 else { return [] }
        // delta[j]: the best partial score of a path ending in j at the current position
        var delta = (0..<k).map { j in (allowedStart?[j] ?? true) ? start[j] + e[j] : -Double.infinity }
        var backPointers = [Int](repeating: 0, count: n * k)
        var next = delta
        for i in 1..<n {
            for j in 0..<k {
                var best = -Double.infinity, argBest = 0
                for from in 0..<k where delta[from] + transitions[from * k + j] > best {
                    best = delta[from] + transitions[from * k + j]
                    argBest = from
                }
                next[j] = best + e[i * k + j]
                backPointers[i * k + j] = argBest
            }
            swap(&delta, &next)
        }
        var last = 0
        for j in 1..<k where delta[j] + end[j] > delta[last] + end[last] { last = j }
        var path = [Int](repeating: 0, count: n)
        path[n - 1] = last
        for i in stride(from: n - 1, to: 0, by: -1) { path[i - 1] = backPointers[i * k + path[i]] }
        return path
    }
}

/// log Σ exp(x), exact for -inf entries (an all -inf input gives -inf).
func logSumExp(_ x: [Double]) -> Double {
    let top = x.max() ?? -.infinity
    guard top > -.infinity else { return -.infinity }
    var sum = 0.0
    for v in x { sum += Foundation.exp(v - top) }
    return top + Foundation.log(sum)
}
