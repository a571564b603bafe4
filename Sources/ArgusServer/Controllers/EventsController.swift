import ArgusCore
import ArgusStorage
import Hummingbird

/// Server API v4 events (`/v4/events`), Fingerprint-compatible (spec §2).
struct EventsController {
    let runtime: ArgusRuntime
    var auth: SecretKeyAuth { SecretKeyAuth(keyRing: runtime.keyRing) }

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.get("/v4/events/{event_id}", use: getEvent)
    }

    /// `GET /v4/events/{event_id}`: the stored event, byte for byte. A key
    /// scoped to one environment sees only that environment's events.
    @Sendable func getEvent(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authenticate(request, scope: .readEvents)
        let id = context.parameters.get("event_id") ?? ""
        guard Identifiers.isEventID(id) else { throw APIError.invalidEventID }
        guard let event = try await runtime.store.event(id: id, environmentID: key.environmentID) else {
            throw APIError.eventNotFound
        }
        return JSONResponse.bytes(event.document)
    }
}
