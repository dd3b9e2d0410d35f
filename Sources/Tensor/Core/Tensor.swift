import Foundation

/// An fp32, row-major, contiguous tensor with an optional place in the autograd graph.
///
/// A class: a parameter is the same object in the module, the optimizer and the graph, and its
/// `grad` accumulates across the ops that use it. Integer ids never live here (plain `[Int32]`).
public final class Tensor {
    public let shape: [Int]
    public let storage: TensorStorage
    /// When true, ops that read this tensor record a node so that `backward()` reaches it.
    public var requiresGrad: Bool
    /// The gradient accumulated by `backward()`, same shape; nil until something writes it.
    public var grad: Tensor? {
        get { gradientIsStale ? nil : storedGradient }
        set { storedGradient = newValue; gradientIsStale = false }
    }
    /// The gradient buffer, kept across steps by `releaseGradient()` so that the next backward
    /// reuses its memory (no new allocation, no page faults) instead of allocating afresh.
    private var storedGradient: Tensor?
    private var gradientIsStale = false
    /// The op that produced this tensor (nil for leaves and for anything made under `noGrad`).
    public internal(set) var node: GraphNode?

    public var count: Int { storage.count }
    public var rank: Int { shape.count }
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer }

    /// A zero-filled tensor.
    public init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(shape))
        self.requiresGrad = requiresGrad
    }

    /// A tensor whose values are not set: for op outputs that every element of is written.
    /// (No zero-fill pass over memory that is overwritten anyway.)
    public init(uninitialized shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: Tensor.elementCount(shape), zeroed: false)
        self.requiresGrad = false
    }

    /// A tensor holding a copy of `values` (row-major).
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        precondition(values.count == Tensor.elementCount(shape),
                     "\(values.count) values do not fill shape \(shape)")
        self.init(zeros: shape, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: values.count) }
        }
    }

    /// A scalar (shape `[]`).
    public convenience init(scalar: Float) {
        self.init(shape: [], values: [scalar])
    }

    /// A view with another shape over the same storage (no copy). Used by `reshaped`.
    init(shape: [Int], sharing storage: TensorStorage) {
        precondition(Tensor.elementCount(shape) == storage.count, "reshape to \(shape) changes the element count")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = false
    }

    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The values as an array (a copy).
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor with \(count) elements")
        return data[0]
    }

    public subscript(flat index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// A new leaf tensor with the same values and no graph history.
    public func detached() -> Tensor {
        let copy = Tensor(zeros: shape)
        copy.data.update(from: data, count: count)
        return copy
    }

    /// Overwrites the values (same element count) from `other`.
    public func copyValues(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// The gradient buffer, zero-filled on first use. Backward functions add into it.
    public func gradBuffer() -> Tensor {
        if let g = grad { return g }
        if let kept = reusableGradient() {
            let p = kept.data
            Parallel.forEachRange(kept.count, minimumChunk: 1 << 16) { range in
                (p + range.lowerBound).update(repeating: 0, count: range.count)
            }
            return kept
        }
        let g = Tensor(zeros: shape)
        grad = g
        return g
    }

    /// Clears the gradient (`grad` becomes nil) but keeps its buffer for the next backward to
    /// write into: what a training loop wants between steps.
    public func releaseGradient() {
        if storedGradient != nil { gradientIsStale = true }
    }

    /// The kept buffer of a released gradient, made current again (its values are stale: the
    /// caller overwrites or zeroes them).
    private func reusableGradient() -> Tensor? {
        guard gradientIsStale, let kept = storedGradient, kept.shape == shape else { return nil }
        gradientIsStale = false
        return kept
    }

    /// Where a backward puts its contribution, and the `beta` to use (a GEMM's or any kernel's:
    /// 0 overwrite, 1 add): with no gradient yet, a new uninitialised buffer that the caller
    /// overwrites (beta 0: no zero-fill, no read); otherwise the existing gradient, added to
    /// (beta 1). The caller must write every element.
    public func gradientDestination() -> (gradient: Tensor, beta: Float) {
        if let g = grad { return (g, 1) }
        if let kept = reusableGradient() { return (kept, 0) }
        let g = Tensor(uninitialized: shape)
        grad = g
        return (g, 0)
    }

    /// grad += g. When there is no gradient yet and `adopt` is true, `g` itself becomes it (no
    /// copy, no zero-fill): the caller must then neither write to `g` nor hand it to another tensor.
    public func accumulateGradient(_ g: Tensor, adopt: Bool) {
        precondition(g.count == count, "gradient of \(g.shape) for a tensor of \(shape)")
        if let existing = grad {
            accumulate(g, into: existing)
        } else if let kept = reusableGradient() {
            kept.copyValues(from: g)
        } else {
            grad = adopt && g.shape == shape ? g : g.detachedCopy(shape: shape)
        }
    }

    func detachedCopy(shape newShape: [Int]) -> Tensor {
        let copy = Tensor(uninitialized: newShape)
        copy.data.update(from: data, count: count)
        return copy
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = values.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}
