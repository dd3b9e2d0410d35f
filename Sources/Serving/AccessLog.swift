import Foundation
import Hummingbird
import Logging

/// One structured log line per request (method, path, status, duration, inputs) and the
/// request metrics, whatever the route answered or threw.
struct AccessLog: RouterMiddleware {
    typealias Context = ServingRequestContext
    let logger: Logger
    let metrics: ServingMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let started = clock.now
        let status: Int
        let response: Response
        do {
            response = try await next(request, context)
            status = response.status.code
        } catch {
            // a route's own errors are answered as responses; what reaches here is the
            // router's (404, 405) or Hummingbird's
            status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, status: status, duration: clock.now - started, inputs: context.notes.inputs)
            throw error
        }
        record(request, status: status, duration: clock.now - started, inputs: context.notes.inputs)
        return response
    }

    private func record(_ request: Request, status: Int, duration: Duration, inputs: Int?) {
        metrics.recordRequest(path: request.uri.path, status: status, duration: duration)
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
            "duration_ms": "\(String(format: "%.2f", duration.milliseconds))",
        ]
        if let inputs { metadata["inputs"] = "\(inputs)" }
        logger.info("request", metadata: metadata)
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
