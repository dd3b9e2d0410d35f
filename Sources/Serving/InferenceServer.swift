import Backbone
import Foundation
import Hummingbird
import Logging
import Runner
import ServiceLifecycle
import UnixSignals

/// `bertkit serve`'s server: the routes over a loaded model, its batch thread and metrics, run
/// as one ServiceGroup. On a graceful shutdown the group stops its services in reverse order:
/// the shutdown notice (health turns 503, batches stop waiting to fill), the HTTP server (stops
/// accepting, answers what is in flight), then the batch thread.
final class InferenceServer: Sendable {
    let settings: ServerSettings
    let metrics: ServingMetrics
    let batcher: Batcher
    private let logger: Logger
    private let responder: RouterResponder<ServingRequestContext>
    let health: HealthState

    /// Starts the batch thread (a first forward pass included) and builds the routes.
    init(model: ServableModel, settings: ServerSettings, logger: Logger) {
        let limits = settings.limits
        let metrics = ServingMetrics(), health = HealthState()
        let batcher = Batcher(model: model, limits: limits, precision: settings.precision, metrics: metrics)
        batcher.start()
        let hasPooler = model.model.backbone.poolerDense != nil
        let predict = PredictRoute(sessions: SessionPool(template: model, keep: 32), batcher: batcher, limits: limits,
                                   fields: model.predictionFields.map(InputFields.init))
        let embed = EmbedRoute(tokenizer: model.tokenizer, maxLength: model.model.backbone.config.maxPositionEmbeddings,
                               hasPooler: hasPooler, defaults: settings.embedding, batcher: batcher, limits: limits)
        let description = ModelDescription.json(model, settings: settings, hasPooler: hasPooler)

        let router = Router(context: ServingRequestContext.self)
        router.add(middleware: AccessLog(logger: logger, metrics: metrics))
        router.post("/v1/predict") { request, context in await predict.respond(request, context: context) }
        router.post("/v1/embed") { request, context in await embed.respond(request, context: context) }
        router.get("/v1/model") { _, _ in Response.json(description) }
        router.get("/health") { [health] _, _ in
            health.isShuttingDown
                ? Response.json(#"{"status":"shutting down"}"#, status: .serviceUnavailable)
                : Response.json(#"{"status":"serving"}"#)
        }
        router.get("/metrics") { [metrics] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.health = health
        self.batcher = batcher
        self.responder = router.buildResponder()
    }

    /// The batch thread, the HTTP server and the shutdown notice, stopped gracefully on
    /// `signals` (none in tests: they call `triggerGracefulShutdown`). `onListening` gets the
    /// bound address and port once the socket listens.
    func serviceGroup(gracefulShutdownSignals signals: [UnixSignal],
                      onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void) -> ServiceGroup {
        var quiet = logger
        quiet.logLevel = .warning  // Hummingbird's own start-up lines; the access log is ours
        let application = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(settings.limits.idleTimeoutSeconds)))),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "bertkit"),
            onServerRunning: { channel in
                onListening(channel.localAddress?.ipAddress ?? "", channel.localAddress?.port ?? 0)
            },
            logger: quiet)
        let notice = ShutdownNotice { [health, batcher, logger] in
            health.beginShutdown()
            batcher.drain()
            logger.notice("shutting down: no new connections; answering the requests in flight")
        }
        return ServiceGroup(services: [BatcherService(batcher: batcher), application, notice],
                            gracefulShutdownSignals: signals, cancellationSignals: [], logger: quiet)
    }
}
