import CKernels
import Foundation

/// Layer normalisation over the last dimension (BERT's post-LN):
///   y = (x - mean) · rstd · gamma + beta,  rstd = 1 / sqrt(var + eps), var biased.
/// x is (N, C) or any (..., C); gamma and beta are (C); out is x's shape.
/// Saves mean and rstd per row (N) for the backward.
public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    Profiler.measure(.normalization) {
        layerNormForward(x, keep: nil, residual: nil, gamma: gamma, beta: beta, eps: eps)
    }
}

/// The residual connection and the layer norm after it, fused: y = LayerNorm(x + residual).
/// One pass writes the sum (kept for the backward) and normalises it.
public func addLayerNorm(_ x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    Profiler.measure(.normalization) {
        precondition(x.shape == residual.shape, "addLayerNorm of \(x.shape) and \(residual.shape)")
        return layerNormForward(x, keep: nil, residual: residual, gamma: gamma, beta: beta, eps: eps)
    }
}

/// Dropout, the residual connection and the layer norm after them, fused:
/// y = LayerNorm(dropout(x) + residual). The same keep mask, the same use of `stream` and the
/// same bits as `addLayerNorm(dropout(x, ...), residual: ...)`, with one pass fewer each way
/// and no dropout output kept for the backward.
public func dropoutAddLayerNorm(_ x: Tensor, probability p: Float, training: Bool, stream: inout RandomStream,
                                residual: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    guard training, p > 0 else { return addLayerNorm(x, residual: residual, gamma: gamma, beta: beta, eps: eps) }
    precondition(p < 1, "dropout probability must be below 1, got \(p)")
    precondition(x.shape == residual.shape, "dropoutAddLayerNorm of \(x.shape) and \(residual.shape)")
    let mask = Profiler.measure(.dropout) { DropoutMask(count: x.count, probability: p, stream: &stream) }
    return Profiler.measure(.normalization) {
        layerNormForward(x, keep: mask, residual: residual, gamma: gamma, beta: beta, eps: eps)
    }
}

/// keep: a dropout mask over x, only with a residual.
private func layerNormForward(_ x: Tensor, keep: DropoutMask?, residual: Tensor?, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
    let c = x.shape.last ?? 1
    let rows = x.count / c
    precondition(gamma.count == c && beta.count == c, "layerNorm: gamma \(gamma.shape) / beta \(beta.shape) for \(c) channels")
    let out = Tensor(uninitialized: x.shape)
    let mean = Tensor(uninitialized: [rows]), rstd = Tensor(uninitialized: [rows])
    let inputs = residual.map { [x, $0, gamma, beta] } ?? [x, gamma, beta]
    // The sum x + residual is kept for the backward; with no backward to come it is formed in
    // the output buffer and normalised there (no extra (N, C) buffer written and dropped)
    let sum = residual.map { _ in Autograd.needsGraph(inputs) ? Tensor(uninitialized: x.shape) : out }
    let args = bk_layer_norm_forward_args(
        x: x.data, keep: keep.map { UnsafePointer($0.bytes.pointer) }, keep_scale: keep?.scale ?? 1,
        residual: residual?.data, sum_out: sum?.data, gamma: gamma.data, beta: beta.data, y: out.data,
        mean: mean.data, rstd: rstd.data, cols: c, eps: eps)
    Parallel.forEachRange(rows, minimumChunk: max(1, 16384 / c)) { range in
        bk_layer_norm_forward(args, range.lowerBound, range.upperBound)
    }
    let op = LayerNormOp(mean: mean, rstd: rstd, channels: c, normalizedInput: sum, keep: keep)
    return Autograd.record(op, inputs: inputs, output: out)
}

struct LayerNormOp: BackwardOp {
    var category: Profiler.Category { .normalization }
    /// Per row (N): the mean and 1/sqrt(var + eps) of the forward.
    let mean: Tensor
    let rstd: Tensor
    let channels: Int
    /// x + residual when the residual add was fused in (inputs are then x, residual, gamma, beta);
    /// dropout(x) + residual when a dropout was fused in too.
    let normalizedInput: Tensor?
    /// The keep mask of the fused dropout over x.
    let keep: DropoutMask?
    var name: String { keep != nil ? "dropout_add_layer_norm" : normalizedInput == nil ? "layer_norm" : "add_layer_norm" }

    // With xhat = (x - mean)·rstd and g = dy·gamma:
    //   dx = rstd · (g - mean(g) - xhat · mean(g · xhat)),  dgamma += Σ_rows dy·xhat,  dbeta += Σ_rows dy.
    // Fused: d(x + residual) = dx flows to both x and residual unchanged; with dropout fused in,
    // x receives dx·keep/(1 - p) instead, written by the same kernel pass.
    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let fused = normalizedInput != nil
        let x = inputs[0], gamma = inputs[fused ? 2 : 1], beta = inputs[fused ? 3 : 2]
        let source = normalizedInput ?? x
        let c = channels, rows = x.count / c
        // Row chunks fixed by the thread count: each writes its own dgamma/dbeta partial sums,
        // added in chunk order afterwards, so the result never depends on timing.
        let workers = Parallel.blockCount(rows, minimumBlock: 2048 / c)
        let partials = Tensor(zeros: [workers, 2, c])
        // This op's d(input) is written (not added) into a fresh buffer, which becomes the input's
        // gradient when it has none yet (the usual case: no zero-fill, no extra pass).
        let contribution = Tensor(uninitialized: x.shape)
        let pp = partials.data
        let dropped = keep != nil && x.requiresGrad ? x.gradientDestination() : nil
        let args = bk_layer_norm_backward_args(
            x: source.data, dy: dy.data, gamma: gamma.data, mean: mean.data, rstd: rstd.data,
            dx: contribution.data, accumulate: 0,
            dropped_dx: dropped?.gradient.data, keep: keep.map { UnsafePointer($0.bytes.pointer) },
            keep_scale: keep?.scale ?? 1, accumulate_dropped: dropped?.beta == 1 ? 1 : 0,
            dgamma_partial: nil, dbeta_partial: nil, cols: c)
        Parallel.forEachBlock(.even(rows, blocks: workers)) { w, rowRange in
            // this chunk's own dgamma and dbeta partial sums
            var chunkArgs = args
            chunkArgs.dgamma_partial = pp + w * 2 * c
            chunkArgs.dbeta_partial = pp + w * 2 * c + c
            bk_layer_norm_backward(chunkArgs, rowRange.lowerBound, rowRange.upperBound)
        }
        // d(x + residual) reaches the residual and, unless a dropout sat in between (done above), x.
        var adopted = false
        let targets = keep != nil ? [inputs[1]] : fused ? [inputs[0], inputs[1]] : [x]
        for target in targets where target.requiresGrad {
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
