import Foundation

/// Layer normalisation over the last dimension (BERT's post-LN):
///   y = (x - mean) · rstd · gamma + beta,  rstd = 1 / sqrt(var + eps), var biased.
/// x is (N, C) or any (..., C); gamma and beta are (C); out is x's shape.
/// Saves mean and rstd per row (N) for the backward.
public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    Profiler.measure(.normalization) {
        let c = x.shape.last ?? 1
        let rows = x.count / c
        precondition(gamma.count == c && beta.count == c, "layerNorm: gamma \(gamma.shape) / beta \(beta.shape) for \(c) channels")
        let out = Tensor(zeros: x.shape)
        let mean = Tensor(zeros: [rows]), rstd = Tensor(zeros: [rows])
        let px = x.data, po = out.data, pg = gamma.data, pb = beta.data, pm = mean.data, pr = rstd.data
        Parallel.forEachRange(rows, minimumChunk: max(1, 8192 / c)) { range in
            for r in range {
                let row = px + r * c, outRow = po + r * c
                // pass 1: mean
                var sum: Float = 0
                for j in 0..<c { sum += row[j] }
                let m = sum / Float(c)
                // pass 2: variance of the centred values (two passes, as torch, for accuracy)
                var squares: Float = 0
                for j in 0..<c { let d = row[j] - m; squares += d * d }
                let s = 1 / (squares / Float(c) + eps).squareRoot()
                // pass 3: normalise, scale, shift
                for j in 0..<c { outRow[j] = (row[j] - m) * s * pg[j] + pb[j] }
                pm[r] = m
                pr[r] = s
            }
        }
        return Autograd.record(LayerNormOp(mean: mean, rstd: rstd, channels: c), inputs: [x, gamma, beta], output: out)
    }
}

struct LayerNormOp: Operation {
    var category: Profiler.Category { .normalization }
    /// Per row (N): the mean and 1/sqrt(var + eps) of the forward.
    let mean: Tensor
    let rstd: Tensor
    let channels: Int
    var name: String { "layer_norm" }

    // With xhat = (x - mean)·rstd and g = dy·gamma:
    //   dx = rstd · (g - mean(g) - xhat · mean(g · xhat)),  dgamma += Σ_rows dy·xhat,  dbeta += Σ_rows dy.
    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let x = inputs[0], gamma = inputs[1], beta = inputs[2]
        let c = channels, rows = x.count / c
        let px = x.data, pdy = dy.data, pg = gamma.data, pm = mean.data, pr = rstd.data
        if x.requiresGrad {
            let dx = x.gradBuffer().data
            Parallel.forEachRange(rows, minimumChunk: max(1, 8192 / c)) { range in
                for r in range {
                    let row = px + r * c, dyRow = pdy + r * c, dxRow = dx + r * c
                    let m = pm[r], s = pr[r]
                    var meanG: Float = 0, meanGX: Float = 0
                    for j in 0..<c {
                        let g = dyRow[j] * pg[j]
                        meanG += g
                        meanGX += g * (row[j] - m) * s
                    }
                    meanG /= Float(c)
                    meanGX /= Float(c)
                    for j in 0..<c {
                        let xhat = (row[j] - m) * s
                        dxRow[j] += s * (dyRow[j] * pg[j] - meanG - xhat * meanGX)
                    }
                }
            }
        }
        if gamma.requiresGrad || beta.requiresGrad {
            let dgamma = gamma.gradBuffer().data, dbeta = beta.gradBuffer().data
            for r in 0..<rows {
                let row = px + r * c, dyRow = pdy + r * c
                let m = pm[r], s = pr[r]
                for j in 0..<c {
                    dgamma[j] += dyRow[j] * (row[j] - m) * s
                    dbeta[j] += dyRow[j]
                }
            }
        }
    }
}
