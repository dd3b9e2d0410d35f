import Synchronization

/// Serving, or shutting down once a graceful shutdown has begun (`GET /health`: 200, then 503).
final class HealthState: Sendable {
    private let shuttingDown = Mutex(false)

    var isShuttingDown: Bool { shuttingDown.withLock { $0 } }

    func beginShutdown() {
        shuttingDown.withLock { $0 = true }
    }
}
