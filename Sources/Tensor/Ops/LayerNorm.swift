import CKernels
import Foundation

/// Layer normalisation over the last dimension (BERT's post-LN):
///   y = (x - mean) · rstd · gamma + beta,  rstd = 1 / sqrt(var + eps), var biased.
/// x is (N, C) or any (..., C); gamma and beta are (C); out is x's shape.
/// Saves mean and rstd per row (N) for the backward.
public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    Profiler.measure(.normalization) {
        layerNormForward(x, residual: nil, gamma: gamma, beta: beta, eps: eps)
    }
}

/// The residual connection and the layer norm after it, fused: y = LayerNorm(x + residual).
/// One pass writes the sum (kept for the backward) and normalises it.
public func addLayerNorm(_ x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    Profiler.measure(.normalization) {
        precondition(x.shape == residual.shape, "addLayerNorm of \(x.shape) and \(residual.shape)")
        return layerNormForward(x, residual: residual, gamma: gamma, beta: beta, eps: eps)
    }
}

private func layerNormForward(_ x: Tensor, residual: Tensor?, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    let c = x.shape.last ?? 1
    let rows = x.count / c
    precondition(gamma.count == c && beta.count == c, "layerNorm: gamma \(gamma.shape) / beta \(beta.shape) for \(c) channels")
    let out = Tensor(uninitialized: x.shape)
    let mean = Tensor(uninitialized: [rows]), rstd = Tensor(uninitialized: [rows])
    let sum = residual.map { _ in Tensor(uninitialized: x.shape) }
    let px = x.data, po = out.data, pg = gamma.data, pb = beta.data, pm = mean.data, pr = rstd.data
    let pres = residual?.data, psum = sum?.data
    Parallel.forEachRange(rows, minimumChunk: max(1, 16384 / c)) { range in
        bk_layer_norm_forward(px, pres, psum, pg, pb, po, pm, pr, c, eps, range.lowerBound, range.upperBound)
    }
    let op = LayerNormOp(mean: mean, rstd: rstd, channels: c, normalizedInput: sum)
    let inputs = residual.map { [x, $0, gamma, beta] } ?? [x, gamma, beta]
    return Autograd.record(op, inputs: inputs, output: out)
}

struct LayerNormOp: Operation {
    var category: Profiler.Category { .normalization }
    /// Per row (N): the mean and 1/sqrt(var + eps) of the forward.
    let mean: Tensor
    let rstd: Tensor
    let channels: Int
    /// x + residual when the residual add was fused in (inputs are then x, residual, gamma, beta).
    let normalizedInput: Tensor?
    var name: String { normalizedInput == nil ? "layer_norm" : "add_layer_norm" }

    // With xhat = (x - mean)·rstd and g = dy·gamma:
    //   dx = rstd · (g - mean(g) - xhat · mean(g · xhat)),  dgamma += Σ_rows dy·xhat,  dbeta += Σ_rows dy.
    // Fused: d(x + residual) = dx flows to both x and residual unchanged.
    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let fused = normalizedInput != nil
        let x = inputs[0], gamma = inputs[fused ? 2 : 1], beta = inputs[fused ? 3 : 2]
        let source = normalizedInput ?? x
        let c = channels, rows = x.count / c
        // Row chunks fixed by the thread count: each writes its own dgamma/dbeta partial sums,
        // added in chunk order afterwards, so the result never depends on timing.
        let workers = max(1, min(Parallel.threadCount, rows / max(1, 2048 / c)))
        let chunk = (rows + workers - 1) / workers
        let partials = Tensor(zeros: [workers, 2, c])
        // This op's d(input) is written (not added) into a fresh buffer, which becomes the input's
        // gradient when it has none yet (the usual case: no zero-fill, no extra pass).
        let contribution = Tensor(uninitialized: x.shape)
        let ps = source.data, pdy = dy.data, pg = gamma.data, pm = mean.data, pr = rstd.data, pp = partials.data
        let pc = contribution.data
        let body: (Int) -> Void = { w in
            let begin = w * chunk, end = min(rows, begin + chunk)
            if begin < end {
                bk_layer_norm_backward(ps, pdy, pg, pm, pr, pc, 0, pp + w * 2 * c, pp + w * 2 * c + c, c, begin, end)
            }
        }
        if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
        // d(x + residual) reaches x and, when fused, the residual unchanged.
        var adopted = false
        for target in fused ? [inputs[0], inputs[1]] : [x] where target.requiresGrad {
            target.accumulateGradient(contribution, adopt: !adopted)
            adopted = adopted || target.grad === contribution
        }
        if gamma.requiresGrad || beta.requiresGrad {
            let dgamma = gamma.gradBuffer().data, dbeta = beta.gradBuffer().data
            for w in 0..<workers {
                for j in 0..<c {
                    dgamma[j] += pp[w * 2 * c + j]
                    dbeta[j] += pp[w * 2 * c + c + j]
                }
            }
        }
    }
}

/// The plain reference of CKernels' layer norm forward, for the tests: one row.
func layerNormRowReference(_ row: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                           out: UnsafeMutablePointer<Float>, channels c: Int, eps: Float) {
    var sum: Float = 0
    for j in 0..<c { sum += row[j] }
    let m = sum / Float(c)
    var squares: Float = 0
    for j in 0..<c { let d = row[j] - m; squares += d * d }
    let s = 1 / (squares / Float(c) + eps).squareRoot()
    for j in 0..<c { out[j] = (row[j] - m) * s * gamma[j] + beta[j] }
}
