import Tensor

/// transformers' `_init_weights` for BERT, as one rule over named parameters: what a fresh
/// backbone (`BertModel.initializeWeights`), a new head on a pre-trained backbone
/// (`TaskModel.load`) and the benchmark's random-weight models all start from.
public enum WeightInitialization {
    /// Matrices (Linear and Embedding weights, a CRF's transitions) ~ N(0, initializerRange²);
    /// LayerNorm weights 1; every other vector (biases, LayerNorm biases, a CRF's start and end
    /// scores) 0. The normals come from `stream` one per element, tensor after tensor in the
    /// order given, so the order of `parameters` decides which draws each tensor gets.
    public static func apply(to parameters: [(name: String, tensor: Tensor)], initializerRange: Float,
                             stream: inout RandomStream) {
        for (name, tensor) in parameters {
            if name.hasSuffix("LayerNorm.weight") { tensor.fill(1) }
            else if tensor.rank > 1 { fillNormal(tensor, standardDeviation: initializerRange, stream: &stream) }
            else { tensor.fill(0) }
        }
    }
}
