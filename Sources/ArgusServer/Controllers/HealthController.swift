import ArgusCore
import HTTPTypes
import Hummingbird

/// `/health` (store reachable), `/metrics` (Prometheus text) and `/v1/ping`
/// (a trivial JSON route: the baseline every benchmark is a ratio against).
struct HealthController {
    let runtime: ArgusRuntime

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.get("/health") { _, _ in
            do {
                try await runtime.store.ping()
                return JSONResponse.make(["status": "ok"])
            } catch {
                throw APIError(.serviceUnavailable, "store_unavailable", "the store does not answer")
            }
        }
        router.get("/v1/ping") { _, _ in JSONResponse.make(["ok": true]) }
        router.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: runtime.agentAssets.openAPI)))
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: runtime.metrics.emitToBuffer())))
        }
    }
}
