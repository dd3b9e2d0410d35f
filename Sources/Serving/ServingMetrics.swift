import Prometheus

/// The server's Prometheus metrics (`GET /metrics`; names and meanings in docs/serving.md).
final class ServingMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Inputs admitted and not yet taken into a forward pass.
    let queueDepth: Gauge
    /// Features per forward pass.
    let batchSize: ValueHistogram
    /// Padded tokens per forward pass (features × the longest).
    let batchTokens: ValueHistogram
    let forwardDuration: DurationHistogram

    /// The routes requests are counted under; any other path counts as `other`, so that
    /// clients cannot grow the label set.
    static let routes: Set<String> = ["/v1/predict", "/v1/embed", "/v1/model", "/health", "/metrics"]

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "bertkit", metricName: "requests", unitName: "total",
                             helpText: "HTTP requests answered, by route and status.")
    }
    static var requestDuration: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "bertkit", metricName: "request_duration", unitName: "seconds",
                             helpText: "Time from a request's arrival to its answer, by route.")
    }
    // The buckets are kept here, not only inside the registry: it stores them in an enum whose
    // case tag sits in the pointer's spare bits, where LeakSanitizer does not see a pointer, so
    // it reported them as leaked at exit whenever the registry was still alive (1 serve in 5
    // shut down with requests in flight; every one when the registry is kept to the end).
    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) }
    static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    static let batchTokenBuckets: [Double] = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]

    init() {
        queueDepth = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "bertkit", metricName: "queue_depth", unitName: "inputs",
            helpText: "Inputs admitted and waiting for a forward pass."))
        batchSize = registry.makeValueHistogram(descriptor: MetricNameDescriptor(
            namespace: "bertkit", metricName: "batch", unitName: "features",
            helpText: "Features per forward pass."), buckets: Self.batchSizeBuckets)
        batchTokens = registry.makeValueHistogram(descriptor: MetricNameDescriptor(
            namespace: "bertkit", metricName: "batch_padded", unitName: "tokens",
            helpText: "Padded tokens per forward pass (features x the longest)."), buckets: Self.batchTokenBuckets)
        forwardDuration = registry.makeDurationHistogram(descriptor: MetricNameDescriptor(
            namespace: "bertkit", metricName: "forward_duration", unitName: "seconds",
            helpText: "Time of one forward pass on the batch thread."), buckets: Self.latencyBuckets)
    }

    func recordRequest(path: String, status: Int, duration: Duration) {
        let route = Self.routes.contains(path) ? path : "other"
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: [("route", route)], buckets: Self.latencyBuckets)
            .record(duration)
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> String {
        registry.emitToString()
    }
}
