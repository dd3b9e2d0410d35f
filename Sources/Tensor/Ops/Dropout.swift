import CKernels

/// Inverted dropout: each element is kept with probability 1 - p and scaled by 1 / (1 - p), so
/// evaluation needs no rescaling. In eval mode (or p = 0) the input is returned unchanged.
///
/// The keep mask comes from Philox blocks reserved in `stream`: element i uses lane i % 4 of
/// block start + i / 4. The mask (a byte per element) is drawn once and kept for the backward;
/// any thread can draw any element, so the result never depends on the schedule.
public func dropout(_ x: Tensor, probability p: Float, training: Bool, stream: inout RandomStream) -> Tensor {
    Profiler.measure(.dropout) {
        guard training, p > 0 else { return x }
        precondition(p < 1, "dropout probability must be below 1, got \(p)")
        let mask = DropoutMask(count: x.count, probability: p, stream: &stream)
        let out = Tensor(uninitialized: x.shape)
        mask.apply(from: x.data, to: out.data, accumulate: false)
        return Autograd.record(DropoutOp(mask: mask), inputs: [x], output: out)
    }
}

struct DropoutOp: BackwardOp {
    var category: Profiler.Category { .dropout }
    /// The keep mask of the forward (one byte per element).
    let mask: DropoutMask
    var name: String { "dropout" }
    // forward: y = x · keep / (1 - p), so dx += dy · keep / (1 - p) with the same keep mask.
    func backward(gradOutput dy: Tensor, inputs: [Tensor], output: Tensor) {
        let (dx, beta) = inputs[0].gradientDestination()   // a fresh gradient is written, not zeroed first
        mask.apply(from: dy.data, to: dx.data, accumulate: beta != 0)
    }
}

/// A dropout keep mask: element i is kept when uniform(Philox block start + g/4, lane g%4) >= p,
/// g = firstIndex + i. Generated once (vectorised, over the cores), applied in the forward and
/// again in the backward.
final class DropoutMask {
    let bytes: ByteStorage
    let scale: Float

    init(count: Int, key: UInt64, start: UInt64, firstIndex: Int = 0, probability p: Float) {
        bytes = ByteStorage(count: count)
        scale = 1 / (1 - p)
        let pointer = bytes.pointer
        Parallel.forEachRange(count, minimumChunk: 16384) { range in
            bk_dropout_mask(pointer, key, start, firstIndex, p, range.lowerBound, range.upperBound)
        }
    }

    /// A mask over `count` elements from the next Philox blocks of `stream` (one per 4 elements).
    convenience init(count: Int, probability p: Float, stream: inout RandomStream) {
        let start = stream.reserve(blocks: (count + 3) / 4)
        self.init(count: count, key: stream.key, start: start, probability: p)
    }

    /// to (=|+=) from · keep · scale, over the whole mask.
    func apply(from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let pointer = bytes.pointer, scale = scale
        Parallel.forEachRange(bytes.count, minimumChunk: 16384) { range in
            bk_apply_mask(from, to, pointer, scale, accumulate ? 1 : 0, range.lowerBound, range.upperBound)
        }
    }
}

/// The keep/scale factor of element i, one Philox block at a time: the plain reference that the
/// vectorised mask (CKernels' bk_dropout_mask) is tested against.
@inline(__always)
func dropoutFactor(key: UInt64, start: UInt64, index i: Int, probability p: Float) -> Float {
    let bits = Philox.block(key: key, counter: start &+ UInt64(i / 4))
    return Philox.unitFloat(bits[i % 4]) >= p ? 1 / (1 - p) : 0
}
