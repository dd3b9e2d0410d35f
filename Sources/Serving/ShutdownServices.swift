import ServiceLifecycle

/// The batch thread as a service of the server's group, listed before the HTTP server so that
/// it is stopped after it: every request the server finishes during a graceful shutdown still
/// gets its forward pass.
struct BatcherService: Service {
    let batcher: Batcher

    func run() async throws {
        // cancelled (another service failed) or told to shut down: either way, finish and stop
        try? await gracefulShutdown()
        await batcher.stop()
    }
}

/// The first service told of a graceful shutdown (it is listed last): /health turns 503 and
/// the batch thread stops waiting for batches to fill, then the HTTP server stops accepting and
/// finishes what is in flight.
struct ShutdownNotice: Service {
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: another service failed (a port in use), nothing is shutting down gracefully
        }
        onShutdown()
    }
}
