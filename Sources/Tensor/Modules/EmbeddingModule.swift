/// nn.Embedding: `weight` (V, C); ids (N) -> (N, C).
public final class Embedding: Module {
    public let weight: Tensor

    public init(count: Int, dimension: Int) {
        weight = Tensor(zeros: [count, dimension], requiresGrad: true)
    }

    public func callAsFunction(_ ids: [Int32]) -> Tensor { embedding(ids, table: weight) }

    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
}
