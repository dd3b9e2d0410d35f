/// nn.Embedding: `weight` (V, C); ids (N) -> (N, C). The `paddingIndex` row gets no gradient.
public final class Embedding: Module {
    public let weight: Tensor
    public let paddingIndex: Int32?

    public init(count: Int, dimension: Int, paddingIndex: Int32? = nil) {
        weight = Tensor(zeros: [count, dimension], requiresGrad: true)
        self.paddingIndex = paddingIndex
    }

    public func callAsFunction(_ ids: [Int32]) -> Tensor { embedding(ids, table: weight, paddingIndex: paddingIndex) }

    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
}
