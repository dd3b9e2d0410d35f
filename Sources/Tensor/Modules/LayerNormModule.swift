/// nn.LayerNorm over the last dimension: `weight` (gamma) and `bias` (beta), both (C).
/// eps comes from the config (`layer_norm_eps`, 1e-12 for BERT).
public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(channels: Int, eps: Float) {
        weight = Tensor(zeros: [channels], requiresGrad: true)
        bias = Tensor(zeros: [channels], requiresGrad: true)
        weight.fill(1)
        self.eps = eps
    }

    /// x (..., C) -> (..., C)
    public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, gamma: weight, beta: bias, eps: eps) }

    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
}
