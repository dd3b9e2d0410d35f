/// nn.Linear: `weight` (O, I) and `bias` (O), named as in PyTorch state dicts.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    public init(inFeatures: Int, outFeatures: Int, bias hasBias: Bool = true) {
        weight = Tensor(zeros: [outFeatures, inFeatures], requiresGrad: true)
        bias = hasBias ? Tensor(zeros: [outFeatures], requiresGrad: true) : nil
    }

    public var outFeatures: Int { weight.shape[0] }

    /// x (..., I) -> (..., O)
    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight, bias: bias) }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// Fills `tensor` with N(0, std²) samples from `stream`.
public func fillNormal(_ tensor: Tensor, standardDeviation std: Float, stream: inout RandomStream) {
    for i in 0..<tensor.count { tensor.data[i] = Float(stream.nextNormal()) * std }
}
