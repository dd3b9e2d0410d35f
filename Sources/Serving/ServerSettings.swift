import Backbone
import Tensor

/// Everything `bertkit serve` was asked for besides the model.
struct ServerSettings: Sendable {
    var host = "127.0.0.1"
    /// 0 asks the system for a free port (the bound one is reported when listening).
    var port = 8080
    var limits = ServingLimits()
    var precision = Precision.fp32
    /// `/v1/embed`'s pooling and normalisation when a request names none.
    var embedding = EmbeddingOptions(pooling: .mean, normalize: true)
}
