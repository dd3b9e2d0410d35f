/// nn.Dropout with an explicit stream: no parameters, a probability, and the train/eval switch
/// passed at the call (a module holds no mode flag that could be left in the wrong state).
public struct Dropout {
    public let probability: Float
    public init(probability: Float) { self.probability = probability }

    public func callAsFunction(_ x: Tensor, training: Bool, stream: inout RandomStream) -> Tensor {
        dropout(x, probability: probability, training: training, stream: &stream)
    }
}
