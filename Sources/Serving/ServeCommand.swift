import ArgumentParser
import Backbone
import Foundation
import Logging
import Runner
import Tensor

/// `bertkit serve --model DIR`: a fine-tuned checkpoint behind HTTP, with dynamic batching,
/// limits, metrics and a graceful shutdown (docs/serving.md).
public struct ServeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a fine-tuned checkpoint over HTTP: predict, embed, model, health and metrics routes.",
        discussion: """
            Routes: POST /v1/predict (the inputs of bertkit predict, one object or {"inputs": [...]}), \
            POST /v1/embed ({"text"} or {"inputs": [{"text"}, ...]}, with optional "pooling" and \
            "normalize"), GET /v1/model, GET /health, GET /metrics (Prometheus). Requests that arrive \
            together run as one forward pass on the model's own thread. Once the model is loaded and \
            the socket bound, the address is printed to stderr as `listening on http://HOST:PORT`. \
            SIGTERM or SIGINT stops accepting, answers what is in flight and exits 0. Access logs go \
            to stderr. docs/serving.md has the details.
            """)

    @Option(help: "A checkpoint folder: written by bertkit run (with bertkit.json), or a BertFor* folder transformers wrote.")
    var model: String

    @Option(help: "Address to listen on (default: 127.0.0.1).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 takes a free one (default: 8080).")
    var port = 8080

    @Option(help: "Engine threads for the forward pass (default: all cores).")
    var threads: Int?

    @Option(help: "Features per forward pass at most (default: 32).")
    var maxBatchSize = ServingLimits().maxBatchSize

    @Option(help: "Tokens per forward pass at most, counted as features x the longest; a longer single feature runs alone (default: 8192).")
    var maxBatchTokens = ServingLimits().maxBatchTokens

    @Option(help: "Milliseconds the batch thread waits for more requests once it has one (default: 2).")
    var maxWaitMs = ServingLimits().maxWaitMilliseconds

    @Option(help: "Inputs waiting for a forward pass at most; past it, requests get 503 with Retry-After (default: 1024).")
    var maxQueue = ServingLimits().maxQueue

    @Option(help: "Request body bytes at most; larger bodies get 413 (default: 1048576, 1 MiB).")
    var maxBodyBytes = ServingLimits().maxBodyBytes

    @Option(help: "Inputs per request at most; more get 413 (default: 64).")
    var maxInputs = ServingLimits().maxInputs

    @Option(help: "Seconds a connection may sit idle (nothing sent or received) before it is closed (default: 60).")
    var idleTimeoutSeconds = ServingLimits().idleTimeoutSeconds

    @Option(help: "fp32 or bf16: what the GEMMs compute in (default: fp32).")
    var precision: Precision = .fp32

    @Option(help: "/v1/embed's pooling when a request names none: mean, cls or pooler (default: mean).")
    var pooling: SentenceEmbedding.Pooling = .mean

    @Flag(help: "/v1/embed does not L2-normalise unless a request asks (default: it does).")
    var noNormalize = false

    public init() {}

    public func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if maxBatchSize < 1 { throw ValidationError("--max-batch-size must be at least 1") }
        if maxBatchTokens < 1 { throw ValidationError("--max-batch-tokens must be at least 1") }
        if maxWaitMs < 0 { throw ValidationError("--max-wait-ms must be at least 0") }
        if maxInputs < 1 { throw ValidationError("--max-inputs must be at least 1") }
        if maxBodyBytes < 1 { throw ValidationError("--max-body-bytes must be at least 1") }
        if idleTimeoutSeconds < 1 { throw ValidationError("--idle-timeout-seconds must be at least 1") }
        // a request of --max-inputs inputs must fit an empty queue, or it could never be served
        if maxQueue < maxInputs { throw ValidationError("--max-queue (\(maxQueue)) must be at least --max-inputs (\(maxInputs))") }
    }

    var settings: ServerSettings {
        ServerSettings(host: host, port: port,
                       limits: ServingLimits(maxBatchSize: maxBatchSize, maxBatchTokens: maxBatchTokens, maxWaitMilliseconds: maxWaitMs,
                                             maxQueue: maxQueue, maxBodyBytes: maxBodyBytes, maxInputs: maxInputs,
                                             idleTimeoutSeconds: idleTimeoutSeconds),
                       precision: precision, embedding: EmbeddingOptions(pooling: pooling, normalize: !noNormalize))
    }

    public func run() throws {
        // the threads first: oneDNN's OpenMP takes its thread count as it loads (for bf16, below)
        if let threads {
            Parallel.threadCount = threads
            OpenBLAS.shared.threads = threads
        }
        if precision == .bf16 {
            OneDNN.spinBrieflyBetweenProducts()
            try requireBF16(for: "--precision bf16")
        }
        let servable = try ServableModel.load(URL(fileURLWithPath: model))
        if pooling == .pooler && servable.model.backbone.poolerDense == nil {
            throw CLIError("\(model): the checkpoint has no pooler; use --pooling mean or cls")
        }
        let logger = Logger(label: "bertkit.serve", factory: { StreamLogHandler.standardError(label: $0) })
        let server = InferenceServer(model: servable, settings: settings, logger: logger)
        logger.info("serving \(model)", metadata: ["head": "\(servable.head)", "task_kind": "\(servable.taskKind)",
                                                   "threads": "\(Parallel.threadCount)", "precision": "\(precision.rawValue)"])
        let group = server.serviceGroup(gracefulShutdownSignals: [.sigterm, .sigint]) { host, port in
            let shown = host.contains(":") ? "[\(host)]" : host
            FileHandle.standardError.write(Data("listening on http://\(shown):\(port)\n".utf8))
        }
        do {
            try waitForAsync { try await group.run() }
        } catch {
            throw CLIError("cannot serve on \(host):\(port): \(error)")
        }
    }
}

/// Runs async work from a synchronous command (BertKitCommand's root is synchronous) and
/// waits for it on the calling thread, which is not one of Swift concurrency's.
func waitForAsync(_ body: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: @unchecked Sendable {  // written by the task before it signals, read after
        var error: Error?
    }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { outcome.error = error }
        done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
}
