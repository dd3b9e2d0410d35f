import Foundation
import Tasks

extension ServableModel {
    /// Another ServableModel on the same weights and tokenizer, with a task kind of its own.
    /// A task kind keeps what `features(for:)` planned for its inputs (NER's words, QA's windows)
    /// until `describe`, so a caller that encodes several requests at once (the server) gives
    /// each request in flight its own copy. The weights are shared: `run` stays on one thread.
    public func copySharingWeights() throws -> ServableModel {
        let kind = try TaskKindRegistry.make(taskKind, context: TaskKindContext(spec: spec, tokenizer: tokenizer,
                                                                                 checkpointLabels: labels,
                                                                                 vocabularySize: model.backbone.config.vocabSize, warn: { _ in }))
        let copy = ServableModel(folder: folder, head: head, taskKind: taskKind, labels: labels, spec: spec,
                                 model: model, tokenizer: tokenizer, kind: kind)
        copy.source = source
        return copy
    }
}
