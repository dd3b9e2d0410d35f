import CKernels
import Foundation

/// Softmax over the last dimension. x is (..., K); out is (..., K).
public func softmax(_ x: Tensor) -> Tensor {
    let k = x.shape.last ?? 1
    let rows = x.count / max(k, 1)
    let out = Tensor(zeros: x.shape)
    let px = x.data, po = out.data
    Parallel.forEachRange(rows, minimumChunk: max(1, 8192 / max(k, 1))) { range in
        for r in range { softmaxRow(px + r * k, po + r * k, k) }
    }
    return Autograd.record(SoftmaxOp(k: k), inputs: [x], output: out)
}

struct SoftmaxOp: BackwardOp {
    let k: Int
    var name: String { "softmax" }
    // The output p is kept: dx_j = p_j·(dp_j - Σ_i dp_i·p_i).
    func backward(gradOutput dout: Tensor, inputs: [Tensor], output: Tensor) {
        let rows = output.count / max(k, 1)
        let pp = output.data, pd = dout.data, dx = inputs[0].gradBuffer().data
        Parallel.forEachRange(rows, minimumChunk: max(1, 8192 / max(k, 1))) { range in
            for r in range { softmaxRowBackward(pp + r * k, pd + r * k, dx + r * k, k) }
        }
    }
}

/// out = softmax(x) for one row of length k: pass 1 max, pass 2 exp and sum, pass 3 normalise.
/// (The plain reference of CKernels' bk_softmax_rows; the cross-entropy uses it too.)
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ k: Int) {
    var maxValue = -Float.infinity
    for j in 0..<k { maxValue = max(maxValue, x[j]) }
    var sum: Float = 0
    for j in 0..<k {
        let e = expf(x[j] - maxValue)
        out[j] = e
        sum += e
    }
    let inverse = 1 / sum
    for j in 0..<k { out[j] *= inverse }
}

/// dx += p ⊙ (dp - ⟨dp, p⟩) for one row.
@inline(__always)
func softmaxRowBackward(_ p: UnsafePointer<Float>, _ dp: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ k: Int) {
    var dot: Float = 0
    for j in 0..<k { dot += dp[j] * p[j] }
    for j in 0..<k { dx[j] += p[j] * (dp[j] - dot) }
}
