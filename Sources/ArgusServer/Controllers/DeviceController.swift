import ArgusCore
import ArgusStorage
import HTTPTypes
import Hummingbird

/// The Device API's lookups and lists (spec §6, docs/device-api.md):
/// `GET /v1/device/{deviceId}` and `GET /v1/devices` (scope `read:device`),
/// `GET /v1/events` (scope `read:events`), `GET /v1/visits` (scope `read:device`).
/// An environment's key sees its environment; a workspace key sees all.
struct DeviceController {
    let runtime: ArgusRuntime
    var auth: DeviceAPIAuth { DeviceAPIAuth(runtime: runtime) }

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.get("/v1/device/{deviceId}", use: DeviceAPIError.answering(lookup))
        router.get("/v1/devices", use: DeviceAPIError.answering(list))
        router.get("/v1/events", use: DeviceAPIError.answering(events))
        router.get("/v1/visits", use: DeviceAPIError.answering(visits))
    }

    static func ok(_ key: String, _ value: JSON, next: String? = nil, withCursor: Bool = false) -> Response {
        var o = JSONObject()
        o.append("ok", true)
        o.append(key, value)
        if withCursor { o.append("nextCursor", next.map(JSON.string) ?? .null) }
        var response = JSONResponse.make(.object(o))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func lookup(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authorize(request, context: context, scope: .readDevice)
        let id = context.parameters.get("deviceId") ?? ""
        // A malformed id names no device: the same 404 as an unknown (or purged) one.
        guard Identifiers.isVisitorID(id), let device = try await runtime.store.device(id: id, environmentID: key.environmentID)
        else { throw DeviceAPIError.deviceNotFound }
        return Self.ok("device", DeviceJSON.device(device))
    }

    @Sendable func list(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authorize(request, context: context, scope: .readDevice)
        var q = try DeviceListParameters.parse(request.uri.queryParameters, environmentID: key.environmentID)
        if let c = request.uri.queryParameters.get("cursor") {
            guard let cursor = DeviceListParameters.open(c, query: q, key: runtime.paginationKey) else {
                throw DeviceAPIError.invalid("invalid cursor (it belongs to another query, or was altered)")
            }
            q.after = cursor
        }
        let page = q.limit
        q.limit += 1  // one more tells whether a next page exists
        var devices = try await runtime.store.devices(q)
        q.limit = page
        var next: String?
        if devices.count > page {
            devices.removeLast()
            next = devices.last.map { DeviceListParameters.seal(DeviceCursor($0, sort: q.sort), query: q, key: runtime.paginationKey) }
        }
        return Self.ok("devices", .array(devices.map(DeviceJSON.device)), next: next, withCursor: true)
    }

    @Sendable func events(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authorize(request, context: context, scope: .readEvents)
        let (events, next) = try await eventPage(request, key: key)
        return Self.ok("events", .array(events.map(DeviceJSON.event)), next: next, withCursor: true)
    }

    @Sendable func visits(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authorize(request, context: context, scope: .readDevice)
        let (events, next) = try await eventPage(request, key: key)
        return Self.ok("visits", .array(events.map(DeviceJSON.visit)), next: next, withCursor: true)
    }

    /// Newest first; filters `deviceId`, `since`, `until` (ISO-8601 or epoch ms), `limit` (1–100, default 50), `cursor`.
    func eventPage(_ request: Request, key: KeyRecord) async throws -> ([StoredEvent], String?) {
        let p = request.uri.queryParameters
        var q = EventQuery(environmentID: key.environmentID, start: 0, end: Int64.max, limit: 50)
        if let v = p.get("deviceId") {
            guard Identifiers.isVisitorID(v) else { throw DeviceAPIError.invalid("invalid deviceId") }
            q.visitorID = v
        }
        if let v = p.get("since") {
            guard let ms = ISOTime.parse(v) else { throw DeviceAPIError.invalid("since must be an ISO-8601 time or epoch milliseconds") }
            q.start = ms
        }
        if let v = p.get("until") {
            guard let ms = ISOTime.parse(v) else { throw DeviceAPIError.invalid("until must be an ISO-8601 time or epoch milliseconds") }
            q.end = ms
        }
        if let v = p.get("limit") {
            guard let n = Int(v), (1...100).contains(n) else { throw DeviceAPIError.invalid("limit must be 1 to 100") }
            q.limit = n
        }
        if let c = p.get("cursor") {
            guard let page = PaginationKey.open(c, query: q, key: runtime.paginationKey), page.start == q.start, page.end == q.end
            else { throw DeviceAPIError.invalid("invalid cursor (it belongs to another query, or was altered)") }
            q.after = page.cursor
        }
        var fetch = q
        fetch.limit += 1
        var events = try await runtime.store.searchEvents(fetch)
        var next: String?
        if events.count > q.limit {
            events.removeLast()
            next = events.last.map {
                PaginationKey.seal(EventCursor(timestamp: $0.timestamp, id: $0.id), query: q, key: runtime.paginationKey)
            }
        }
        return (events, next)
    }
}
