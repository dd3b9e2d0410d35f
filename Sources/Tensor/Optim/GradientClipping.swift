import Foundation

/// Global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ (norm type 2).
///
/// torch computes each gradient's 2-norm, then the 2-norm of those norms, then
/// `clip_coef = max_norm / (total_norm + 1e-6)` (a Python float over a 0-dim fp32 tensor, which
/// torch evaluates as `reciprocal(total_norm + 1e-6) * max_norm` in Float), clamps it to at most
/// 1 and multiplies every gradient by it. Multiplying by exactly 1 changes no bit, so here the
/// multiplication is skipped when the clamped coefficient is 1.
///
/// Accumulation: torch sums squares in fp32 (with its pairwise reduction). Here each tensor's
/// sum of squares is accumulated in Double over fixed 16384-element blocks (added in block order,
/// so the result does not depend on the thread count), its square root rounded to Float like
/// torch's per-tensor norm, and the norm of norms again in Double, rounded to Float. This is the
/// exactly rounded value or within an ulp of it; torch's fp32 sum can be a few ulps away.
public enum GradientClipping {
    /// Elements per partial sum.
    static let blockSize = 1 << 14

    /// The global 2-norm of the gradients of `parameters` (those with a nil `grad` are left out).
    public static func globalNorm(of parameters: [Tensor]) -> Float {
        var sumOfSquaredNorms = 0.0
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            let norm = Double(l2Norm(grad))
            sumOfSquaredNorms += norm * norm
        }
        return Float(sumOfSquaredNorms.squareRoot())
    }

    /// Scales all gradients so that their global 2-norm is at most `maxNorm` and returns the norm
    /// they had before (what the Trainer logs as `grad_norm`). A non-finite norm is not an error:
    /// as torch with `error_if_nonfinite=False`, the gradients are then multiplied by 0 or NaN.
    /// The global norm and torch's clamped clip coefficient, without touching the gradients:
    /// AdamW can then apply the coefficient as it reads each gradient (`step(gradientScale:)`),
    /// which gives the same bits as scaling the gradients first and saves a pass over them.
    public static func clipCoefficient(of parameters: [Tensor], maxNorm: Double) -> (norm: Float, coefficient: Float) {
        let total = globalNorm(of: parameters)
        let coefficient = (1 / (total + Float(1e-6))) * Float(maxNorm)
        return (total, coefficient > 1 ? 1 : coefficient)   // NaN stays NaN, as torch.clamp
    }

    @discardableResult
    public static func clipGlobalNorm(of parameters: [Tensor], maxNorm: Double) -> Float {
        let (total, clamped) = clipCoefficient(of: parameters, maxNorm: maxNorm)
        if clamped == 1 { return total }
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            let g = grad.data
            Parallel.forEachRange(grad.count, minimumChunk: AdamW.minimumChunk) { range in
                for i in range { g[i] *= clamped }
            }
        }
        return total
    }

    /// `clipGlobalNorm(of:maxNorm:)` over a module's `namedParameters`.
    @discardableResult
    public static func clipGlobalNorm(of parameters: [(name: String, tensor: Tensor)], maxNorm: Double) -> Float {
        clipGlobalNorm(of: parameters.map(\.tensor), maxNorm: maxNorm)
    }

    /// One tensor's 2-norm: Double partial sums over fixed blocks, combined in block order.
    static func l2Norm(_ tensor: Tensor) -> Float {
        let count = tensor.count
        let blocks = (count + blockSize - 1) / blockSize
        if blocks <= 1 { return Float(sumOfSquares(tensor.data, 0..<count).squareRoot()) }
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: blocks)
        defer { partial.deallocate() }
        let x = UnsafePointer(tensor.data)
        Parallel.forEachRange(blocks, minimumChunk: 2) { blockRange in
            for b in blockRange {
                partial[b] = sumOfSquares(x, (b * blockSize)..<min(count, (b + 1) * blockSize))
            }
        }
        var sum = 0.0
        for b in 0..<blocks { sum += partial[b] }
        return Float(sum.squareRoot())
    }

    /// Sum of squares in Double with four interleaved accumulators (a fixed order, so the same
    /// bits every time; four chains instead of one so the adds overlap).
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ range: Range<Int>) -> Double {
        var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
        var i = range.lowerBound
        while i + 4 <= range.upperBound {
            let x0 = Double(x[i]), x1 = Double(x[i + 1]), x2 = Double(x[i + 2]), x3 = Double(x[i + 3])
            a0 += x0 * x0
            a1 += x1 * x1
            a2 += x2 * x2
            a3 += x3 * x3
            i += 4
        }
        while i < range.upperBound {
            let xi = Double(x[i])
            a0 += xi * xi
            i += 1
        }
        return (a0 + a1) + (a2 + a3)
    }
}
