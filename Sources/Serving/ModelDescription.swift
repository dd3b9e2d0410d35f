import Backbone
import Runner
import Tasks

/// `GET /v1/model`: what the server serves and the limits it enforces.
enum ModelDescription {
    static func json(_ model: ServableModel, settings: ServerSettings, hasPooler: Bool) -> String {
        let config = model.model.backbone.config
        let limits = settings.limits
        var object: [String: JSONValue] = [
            "model": .string(model.folder.url.lastPathComponent),
            "architecture": .string(model.architecture),
            "head": .string(model.head),
            "task_kind": .string(model.taskKind),
            "labels": .array(model.labels.map { .string($0) }),
            "max_seq_length": .number(Double(model.maxSeqLength)),
            "hidden_size": .number(Double(config.hiddenSize)),
            "layers": .number(Double(config.numHiddenLayers)),
            "max_position_embeddings": .number(Double(config.maxPositionEmbeddings)),
            "precision": .string(settings.precision.rawValue),
            "embedding": .object([
                "pooling": .string(settings.embedding.pooling.rawValue),
                "normalize": .bool(settings.embedding.normalize),
                "poolings": .array((hasPooler ? ["mean", "cls", "pooler"] : ["mean", "cls"]).map { .string($0) }),
            ]),
            "limits": .object([
                "max_batch_size": .number(Double(limits.maxBatchSize)),
                "max_batch_tokens": .number(Double(limits.maxBatchTokens)),
                "max_wait_ms": .number(Double(limits.maxWaitMilliseconds)),
                "max_queue": .number(Double(limits.maxQueue)),
                "max_body_bytes": .number(Double(limits.maxBodyBytes)),
                "max_inputs": .number(Double(limits.maxInputs)),
                "idle_timeout_seconds": .number(Double(limits.idleTimeoutSeconds)),
            ]),
        ]
        if model.taskKind == "span-extraction" {
            let training = model.spec.training
            object["doc_stride"] = .number(Double(training.docStride))
            object["max_answer_length"] = .number(Double(training.maxAnswerLength))
            object["n_best_size"] = .number(Double(training.nBestSize))
        }
        return jsonLine(object)
    }
}
