import ArgusCore
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the router with every controller; shared by `argus serve` and the tests.
public func buildRouter(_ runtime: ArgusRuntime) -> Router<ArgusRequestContext> {
    let router = Router(context: ArgusRequestContext.self)
    router.middlewares.add(MetricsMiddleware(registry: runtime.metrics))
    router.middlewares.add(ErrorMiddleware())
    HealthController(runtime: runtime).addRoutes(to: router)
    IdentifyController(runtime: runtime).addRoutes(to: router)
    EventsController(runtime: runtime).addRoutes(to: router)
    AgentController(assets: runtime.agentAssets, runtime: runtime).addRoutes(to: router)
    AdminController(runtime: runtime).addRoutes(to: router)
    DeviceController(runtime: runtime).addRoutes(to: router)
    ExportController(runtime: runtime).addRoutes(to: router)
    WebhooksController(runtime: runtime).addRoutes(to: router)
    IngestController(runtime: runtime).addRoutes(to: router)
    RiskController(runtime: runtime).addRoutes(to: router)
    return router
}

/// The HTTP application on the configured host and port.
/// `onListening` receives the bound address (useful with port 0).
public func buildApplication(
    _ runtime: ArgusRuntime, services: [any Service] = [], onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(runtime),
        configuration: .init(address: .hostname(runtime.config.host, port: runtime.config.port), serverName: "argus"),
        services: services,
        onServerRunning: { channel in
            await onListening(channel.localAddress?.ipAddress ?? runtime.config.host, channel.localAddress?.port ?? runtime.config.port)
        },
        logger: runtime.logger)
}
