/// A head whose loss is a cross-entropy over its classes and can weigh each class: the task
/// file's `class_weights`. The runner sets `classWeights` on the head it built, before training;
/// the head's descriptor says the same thing ahead of time (`HeadDescriptor.acceptsClassWeights`),
/// so that `bertkit validate` refuses `class_weights` for any other head before a model is loaded.
/// A head whose loss is not a per-position cross-entropy (span extraction's softmax over
/// positions, a CRF's sequence likelihood) has no per-class weight to take.
public protocol ClassWeightedHead: Head {
    /// One weight per class, in label order; nil weighs every class 1. The loss is then
    /// Σ w[y]·(-log p[y]) / Σ w[y] over the positions it reads (`crossEntropy`).
    var classWeights: [Float]? { get set }
}
