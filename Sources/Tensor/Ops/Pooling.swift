/// Mean of the token vectors that the mask keeps, per sequence (sentence-transformers' pooling):
///   x is (B, T, C) or (B·T, C); mask is (B, T) of 1 (token) and 0 (padding); out is (B, C).
///   out[b] = Σ_t mask[b,t]·x[b,t] / max(Σ_t mask[b,t], 1e-9)
public func maskedMeanPool(_ x: Tensor, mask: Tensor, batch b: Int) -> Tensor {
    let c = x.shape.last!, t = x.count / (b * c)
    precondition(mask.count == b * t, "maskedMeanPool: mask \(mask.shape) for \(b) x \(t) tokens")
    let out = Tensor(zeros: [b, c])
    let px = x.data, pm = mask.data, po = out.data
    var denominators = [Float](repeating: 0, count: b)
    for s in 0..<b {
        var count: Float = 0
        for i in 0..<t { count += pm[s * t + i] }
        let denominator = max(count, 1e-9)
        denominators[s] = denominator
        let outRow = po + s * c
        for i in 0..<t where pm[s * t + i] != 0 {
            let w = pm[s * t + i], row = px + (s * t + i) * c
            for j in 0..<c { outRow[j] += w * row[j] }
        }
        for j in 0..<c { outRow[j] /= denominator }
    }
    return Autograd.record(MaskedMeanPoolOp(mask: mask, denominators: denominators, tokens: t),
                           inputs: [x], output: out)
}

struct MaskedMeanPoolOp: BackwardOp {
    let mask: Tensor
    let denominators: [Float]
    let tokens: Int
    var name: String { "masked_mean_pool" }
    // forward: out[b] = Σ_t m[b,t]·x[b,t] / n_b, so dx[b,t] += m[b,t]·dout[b] / n_b.
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let c = dout.shape[1], t = tokens
        let dx = inputs[0].gradBuffer().data, pd = dout.data, pm = mask.data
        for s in 0..<denominators.count {
            for i in 0..<t where pm[s * t + i] != 0 {
                let w = pm[s * t + i] / denominators[s]
                let row = dx + (s * t + i) * c, g = pd + s * c
                for j in 0..<c { row[j] += w * g[j] }
            }
        }
    }
}

/// One token vector per sequence: x is (B, T, C) or (B·T, C), positions (B); out is (B, C).
/// positions all 0 selects [CLS], BERT's pooled token.
public func selectTokens(_ x: Tensor, positions: [Int], batch b: Int) -> Tensor {
    let c = x.shape.last!, t = x.count / (b * c)
    precondition(positions.count == b && positions.allSatisfy { $0 >= 0 && $0 < t },
                 "selectTokens: positions \(positions) for \(b) sequences of \(t) tokens")
    let out = Tensor(zeros: [b, c])
    for s in 0..<b { (out.data + s * c).update(from: x.data + (s * t + positions[s]) * c, count: c) }
    return Autograd.record(SelectTokensOp(positions: positions, tokens: t), inputs: [x], output: out)
}

struct SelectTokensOp: BackwardOp {
    let positions: [Int]
    let tokens: Int
    var name: String { "select_tokens" }
    // forward: out[b] = x[b, pos_b], so dx[b, pos_b] += dout[b].
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let c = dout.shape[1]
        let dx = inputs[0].gradBuffer().data
        for (s, position) in positions.enumerated() {
            let row = dx + (s * tokens + position) * c, g = dout.data + s * c
            for j in 0..<c { row[j] += g[j] }
        }
    }
}
