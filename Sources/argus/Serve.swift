import ArgumentParser
import ArgusServer
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (HTTP and workers) until SIGTERM or SIGINT.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Address to listen on (default 127.0.0.1, or ARGUS_HOST).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (default 8080, or ARGUS_PORT).") var port: Int?

    func run() async throws {
        var config = store.config()
        if let host { config.host = host }
        if let port { config.port = port }
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "argus")
        // One registry for the process: Argus's own metrics and those of libraries that use swift-metrics.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        try await runCommand {
            let runtime = try await ArgusRuntime.open(config, metrics: registry, logger: logger)
            try await runtime.identifier.warmUp()
            let startedAt = runtime.clock.nowMs()
            Task { await runtime.signals.warmUpVelocity(store: runtime.store, now: startedAt, logger: logger) }
            let app = buildApplication(runtime) { host, port in
                // One line on stdout, for scripts that start the server on port 0.
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: app), .init(service: SealCountFlusher(runtime: runtime)),
                        .init(service: RetentionService(runtime: runtime)),
                        .init(service: StoreMaintenanceService(runtime: runtime)),
                        .init(service: VisitorChangeFollower(runtime: runtime, interval: .milliseconds(config.changePollMs))),
                        .init(service: WebhookDispatcher(runtime: runtime)),
                        .init(service: PrefetchWorker(pipeline: runtime.prefetch)),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch {
                await runtime.shutdown()
                throw error
            }
            await runtime.shutdown()
            logger.info("stopped")
        }
    }
}
