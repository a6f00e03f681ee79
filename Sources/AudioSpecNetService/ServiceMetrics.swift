import Foundation
import Prometheus

/// The service's Prometheus metrics: requests by route and status, latency by route, the network's batch
/// sizes and time, and the requests in flight. `GET /metrics` returns `text()`.
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    private let batchSize: ValueHistogram
    private let networkTime: DurationHistogram

    static let latencyBuckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                             .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                             .milliseconds(2500), .seconds(5), .seconds(10)]

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "audiospecnet", metricName: metric, unitName: unit, helpText: help)
    }
    // Computed, not stored: Prometheus's descriptor is a struct of strings but not marked Sendable, so a
    // stored static would be shared state to Swift 6.
    private static var requests: MetricNameDescriptor { name("requests", "total", "Requests answered, by route and HTTP status.") }
    private static var latency: MetricNameDescriptor { name("request_duration", "seconds", "Request latency, by route.") }

    public init() {
        inFlight = registry.makeGauge(descriptor: Self.name("requests_in_flight", "", "Requests being handled now."))
        batchSize = registry.makeValueHistogram(descriptor: Self.name("batch", "windows", "Windows (log-mels) per forward pass of the network."),
                                                buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        networkTime = registry.makeDurationHistogram(descriptor: Self.name("network", "seconds", "Time of each forward pass of the network."),
                                                     buckets: Self.latencyBuckets)
    }

    public func started() { inFlight.increment() }

    /// A finished request: its route (a known path, or "other"), status and latency.
    public func finished(route: String, status: Int, latency: Duration) {
        inFlight.decrement()
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets).record(latency)
    }

    /// One forward pass: how many windows, and how long it took.
    public func batch(windows: Int, duration: Duration) {
        batchSize.record(Double(windows))
        networkTime.record(duration)
    }

    /// The Prometheus text exposition format.
    public func text() -> String { registry.emitToString() }
}
