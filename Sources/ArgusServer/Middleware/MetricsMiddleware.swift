import HTTPTypes
import Hummingbird
import Prometheus
import Synchronization

/// Counts requests and records their latency per route, method and status
/// into a registry owned by the app (never the process-global one, so tests
/// can build many apps).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ArgusRequestContext

    final class Instruments: Sendable {
        let registry: PrometheusCollectorRegistry
        let counters = Mutex<[String: Counter]>([:])
        let histograms = Mutex<[String: DurationHistogram]>([:])
        static let buckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]

        init(registry: PrometheusCollectorRegistry) { self.registry = registry }

        func record(route: String, method: String, status: Int, duration: Duration) {
            let statusText = String(status)
            let counterKey = "\(method) \(route) \(statusText)"
            let counter = counters.withLock { map in
                if let c = map[counterKey] { return c }
                let c = registry.makeCounter(
                    descriptor: .init(
                        namespace: "argus", metricName: "http_requests", unitName: "total",
                        helpText: "HTTP requests by route, method and status"),
                    labels: [("route", route), ("method", method), ("status", statusText)])
                map[counterKey] = c
                return c
            }
            counter.increment()
            let histogramKey = "\(method) \(route)"
            let histogram = histograms.withLock { map in
                if let h = map[histogramKey] { return h }
                let h = registry.makeDurationHistogram(
                    descriptor: .init(
                        namespace: "argus", metricName: "http_request_duration", unitName: "seconds",
                        helpText: "HTTP request latency by route and method"),
                    labels: [("route", route), ("method", method)], buckets: Self.buckets)
                map[histogramKey] = h
                return h
            }
            histogram.record(duration)
        }
    }

    let instruments: Instruments
    static let knownMethods: Set<HTTPRequest.Method> = [.get, .post, .put, .patch, .delete, .head, .options]

    init(registry: PrometheusCollectorRegistry) { instruments = Instruments(registry: registry) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        // The route template, never the raw path: ids in paths must not create label values.
        let route = context.endpointPath ?? "unmatched"
        let method = Self.knownMethods.contains(request.method) ? request.method.rawValue : "other"
        instruments.record(
            route: route, method: method, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
