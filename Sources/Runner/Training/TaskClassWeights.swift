import Foundation
import Heads
import Tasks
import TaskFile

/// The task file's `class_weights` on the head a task trains: the weights as written, checked
/// against the task's labels (which may come from the data or the checkpoint, not only
/// `data.labels`), or, for `balanced`, counted from the training targets. Whatever a user can get
/// wrong here is an error at the key's file:line:column, raised before training starts;
/// crossEntropy's own count check is a precondition, for the programmer.
struct TaskClassWeights {
    /// One weight per label, in label order.
    let weights: [Float]
    let labels: [String]
    let balanced: Bool

    /// Sets the task's class weights on `head` and returns them; nil (and the head left as it
    /// is) when the task sets none.
    static func apply(_ spec: TaskSpec, labels: [String], train: [EncodedFeature], to head: Head) throws -> TaskClassWeights? {
        guard let setting = spec.training.classWeights else { return nil }
        let at = "\(spec.position(of: "class_weights")): task `\(spec.name)`"
        // `bertkit validate` refuses this from the head's descriptor; the head itself is the last word
        guard let weighted = head as? any ClassWeightedHead else {
            throw CLIError("\(at): head `\(head.name)` does not take `class_weights`")
        }
        let resolved: TaskClassWeights
        switch setting {
        case .explicit(let weights):
            guard weights.count == labels.count else {
                throw CLIError("\(at): `class_weights` has \(weights.count) weights but the task has \(labels.count) labels, "
                               + "in this order: \(labels.joined(separator: ", "))")
            }
            resolved = TaskClassWeights(weights: weights, labels: labels, balanced: false)
        case .balanced:
            guard let counts = BalancedClassWeights.counts(in: train.compactMap(\.targets), classes: labels.count) else {
                throw CLIError("\(at): `class_weights: balanced` counts class indices, which the training targets of head `\(head.name)` are not")
            }
            guard counts.contains(where: { $0 > 0 }) else {
                throw CLIError("\(at): `class_weights: balanced` found no labelled training position to count")
            }
            resolved = TaskClassWeights(weights: BalancedClassWeights.weights(counts: counts), labels: labels, balanced: true)
        }
        weighted.classWeights = resolved.weights
        return resolved
    }

    /// label -> weight, as metrics.json records them.
    var byLabel: [String: Float] { Dictionary(zip(labels, weights), uniquingKeysWith: { first, _ in first }) }

    /// What the run's log says once, e.g. "class weights (balanced): no 0.6667, yes 2".
    var summary: String {
        let pairs = zip(labels, weights).map { label, weight in
            // a balanced weight of 0 is a class the training data never shows
            "\(label) \(String(format: "%.4g", Double(weight)))" + (balanced && weight == 0 ? " (not in the training data)" : "")
        }
        return "class weights\(balanced ? " (balanced)" : ""): " + pairs.joined(separator: ", ")
    }
}
