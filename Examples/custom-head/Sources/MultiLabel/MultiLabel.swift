import Heads
import Tasks

/// The example's registrations: a head and the task kind it trains on.
public enum MultiLabel {
    public static let architecture = "BertForMultiLabelSequenceClassification"
    public static let taskKind = "multi-label-classification"

    public static let head = HeadDescriptor(
        name: "multi-label-classification", architecture: architecture, taskKind: taskKind,
        summary: "any number of labels per text: mean-pooled tokens -> classifier, sigmoid and binary cross-entropy") { context in
            MultiLabelHead(hiddenSize: context.config.hiddenSize, labels: context.labels.count, dropout: context.classifierDropout)
        }

    /// Registers the head and its task kind; call after `BuiltIns.register()`.
    public static func register() {
        HeadRegistry.register(head)
        TaskKindRegistry.register(taskKind, MultiLabelTask.self)
    }
}
