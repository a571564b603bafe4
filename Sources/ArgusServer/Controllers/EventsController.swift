import ArgusCore
import ArgusStorage
import Hummingbird

/// Server API v4 events (`/v4/events`), Fingerprint-compatible (spec §2).
struct EventsController {
    let runtime: ArgusRuntime
    var auth: SecretKeyAuth { SecretKeyAuth(runtime: runtime) }

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.get("/v4/events/{event_id}", use: getEvent)
        router.get("/v4/events", use: search)
        router.patch("/v4/events/{event_id}", use: update)
        router.delete("/v4/visitors/{visitor_id}", use: deleteVisitor)
    }

    /// `GET /v4/events`: newest first (oldest with `reverse=true`), default the last 7 days,
    /// keyset pagination through `pagination_key`.
    @Sendable func search(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authenticate(request, scope: .readEvents)
        let p = try SearchParameters.parse(
            request.uri.queryParameters, environmentID: key.environmentID, nowMs: runtime.clock.nowMs(),
            paginationKey: runtime.paginationKey)
        var q = p.query
        q.limit += 1  // one more tells whether a next page exists
        var events = try await runtime.store.searchEvents(q)
        let total = try await runtime.store.countEvents(p.query, cap: p.totalHitsCap)
        let more = events.count > p.query.limit
        if more { events.removeLast() }
        var body: [UInt8] = Array(#"{"events":["#.utf8)
        for (i, e) in events.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: e.document)
        }
        body.append(UInt8(ascii: "]"))
        if more, let last = events.last {
            let next = PaginationKey.seal(EventCursor(timestamp: last.timestamp, id: last.id), query: p.query, key: runtime.paginationKey)
            body.append(contentsOf: #","pagination_key":"#.utf8)
            JSONWriter.write(.string(next), into: &body)
        }
        body.append(contentsOf: #","total_hits":\#(total)}"#.utf8)
        return JSONResponse.bytes(body)
    }

    /// `PATCH /v4/events/{event_id}`: `linked_id`, `tags`, `suspect`.
    @Sendable func update(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authenticate(request, scope: .writeEvents)
        let id = context.parameters.get("event_id") ?? ""
        guard Identifiers.isEventID(id) else { throw APIError.invalidEventID }
        var request = request
        let bodyBuffer = try await request.collectBody(upTo: 64 * 1024)
        let invalid = APIError(.badRequest, "request_cannot_be_parsed", "request body is not valid")
        guard case .object(let o) = try? JSONParser.parse(bodyBuffer.readableBytesView) else { throw invalid }
        var change = EventUpdate()
        for (k, v) in o.entries {
            switch (k, v) {
            case ("linked_id", .string(let s)):
                guard s.count <= IdentifyRequest.maxLinkedIDLength else {
                    throw APIError(.badRequest, "request_cannot_be_parsed", "linked_id can't be greater than 256 characters long")
                }
                change.linkedID = s
            case ("tags", .object(let t)):
                guard JSONWriter.bytes(.object(t)).count <= IdentifyRequest.maxTagBytes else { throw invalid }
                change.tags = t
            case ("suspect", .bool(let b)): change.suspect = b
            default: throw invalid
            }
        }
        guard !change.isEmpty else { throw invalid }
        guard let event = try await runtime.store.event(id: id, environmentID: key.environmentID),
            let current = try? JSONParser.parse(event.document)
        else { throw APIError.eventNotFound }
        let document = change.apply(to: current)
        let updated = try await runtime.store.updateEvent(
            id: id, environmentID: key.environmentID, document: JSONWriter.bytes(document),
            linkedID: document["linked_id"]?.stringValue, suspect: document["suspect"]?.boolValue ?? false)
        guard updated else { throw APIError.eventNotFound }
        return JSONResponse.make([:])
    }

    /// `DELETE /v4/visitors/{visitor_id}`: erases the visitor's events and all state derived from them,
    /// so the same browser coming back is a new visitor.
    @Sendable func deleteVisitor(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authenticate(request, scope: .deleteVisitors)
        let id = context.parameters.get("visitor_id") ?? ""
        guard Identifiers.isVisitorID(id) else {
            throw APIError(.badRequest, "request_cannot_be_parsed", "invalid visitor id")
        }
        let environments: [String]
        if let env = key.environmentID {
            environments = [env]
        } else {
            environments = try await runtime.store.environments().map(\.id)
        }
        var found = false
        for env in environments where try await runtime.store.visitor(id: id, environmentID: env) != nil {
            let ids = try await runtime.identifier.erase(visitorID: id, environmentID: env)
            if try await runtime.store.deleteVisitors(ids: ids, environmentID: env) != nil { found = true }
            for erased in ids { await runtime.signals.forget(environmentID: env, visitorID: erased) }
        }
        guard found else { throw APIError(.notFound, "visitor_not_found", "visitor not found") }
        return JSONResponse.make([:])
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
