import Foundation
import Logging
import Runner
import ServiceLifecycle
@testable import Serving
import Tensor
import XCTest

/// The real server, in this process, listening on 127.0.0.1 at a port the system picks, with
/// a client that talks to it over TCP.
final class LiveServer: @unchecked Sendable {
    let server: InferenceServer
    let group: ServiceGroup
    let client: HTTPTestClient
    private let running: Task<Void, Error>

    private init(server: InferenceServer, group: ServiceGroup, client: HTTPTestClient, running: Task<Void, Error>) {
        self.server = server
        self.group = group
        self.client = client
        self.running = running
    }

    /// Loads `folder` and serves it with `limits` in `precision`; returns once the socket listens.
    static func start(_ folder: URL, limits: ServingLimits = ServingLimits(), precision: Precision = .fp32) async throws -> LiveServer {
        let model = try ServableModel.load(folder, warn: { _ in })
        let settings = ServerSettings(host: "127.0.0.1", port: 0, limits: limits, precision: precision)
        let server = InferenceServer(model: model, settings: settings, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let group = server.serviceGroup(gracefulShutdownSignals: []) { _, port in
            portSink.yield(port)
            portSink.finish()
        }
        let running = Task {
            defer { portSink.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await running.value
            throw HTTPTestClient.Failure(description: "the server stopped before listening")
        }
        return LiveServer(server: server, group: group, client: HTTPTestClient(port: port), running: running)
    }

    /// Graceful shutdown, as on SIGTERM; returns when every service has stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Every sample of /metrics by its name and labels (`bertkit_requests_total{route="/health",status="200"}`).
    func metrics() async throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in try await client.get("/metrics").text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    func metric(_ name: String) async throws -> Double? {
        try await metrics()[name]
    }
}
