import ArgusCore
import ArgusStorage
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Errors of the Device API (`/v1/device*`, `/v1/devices`, `/v1/events`, `/v1/visits`, `/v1/exports/*`):
/// `{"ok": false, "error": {"code": "...", "message": "..."}}`, the `ok` envelope of its answers.
struct DeviceAPIError: HTTPResponseError, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(
            ["ok": false, "error": ["code": .string(code), "message": .string(message)]], status: status)
        response.headers.append(contentsOf: headers)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static let unauthorized: DeviceAPIError = {
        var e = DeviceAPIError(status: .unauthorized, code: "unauthorized", message: "invalid or missing API key")
        e.headers[.wwwAuthenticate] = "Bearer"
        return e
    }()
    static func insufficientScope(_ scope: Scope) -> DeviceAPIError {
        DeviceAPIError(status: .forbidden, code: "insufficient_scope", message: "the API key lacks the scope \(scope.rawValue)")
    }
    static let deviceNotFound = DeviceAPIError(status: .notFound, code: "device_not_found", message: "device not found")
    static func rateLimited(retryAfter: Int) -> DeviceAPIError {
        var e = DeviceAPIError(status: .tooManyRequests, code: "rate_limited", message: "rate limit exceeded")
        e.headers[.retryAfter] = String(retryAfter)
        return e
    }
    static func invalid(_ message: String) -> DeviceAPIError {
        DeviceAPIError(status: .badRequest, code: "invalid_parameter", message: message)
    }
}

extension DeviceAPIError {
    /// Wraps a Device API handler so that its errors answer in the Device API's own shape.
    static func answering(
        _ handler: @escaping @Sendable (Request, ArgusRequestContext) async throws -> Response
    ) -> @Sendable (Request, ArgusRequestContext) async throws -> Response {
        { request, context in
            do {
                return try await handler(request, context)
            } catch let error as DeviceAPIError {
                return try error.response(from: request, context: context)
            }
        }
    }
}

/// Authentication and rate limiting of the Device API (spec §6; docs/device-api.md).
///
/// "Global" requests are those not bound to a tenant: no secret key, or an unknown or revoked one.
/// They count against the client IP (default 20 a minute), so key guessing is slow. Requests with a
/// valid key are tenant-scoped: they count against (tenant, IP), the tenant being the key's environment
/// or the workspace (default 100 a minute). Limits are checked before the scope, so a key without
/// the scope cannot hammer either.
struct DeviceAPIAuth {
    let runtime: ArgusRuntime

    func authorize(_ request: Request, context: ArgusRequestContext, scope: Scope) async throws -> KeyRecord {
        let ip = clientIP(request, context: context)
        let config = runtime.config
        var key: KeyRecord?
        if let secret = SecretKeyAuth.presentedSecret(request) { key = try await runtime.keyRing.secretKey(secret) }
        guard let key else {
            if let wait = try await runtime.requestLimiter.acquire("g|" + ip, limit: config.deviceGlobalPerMinute, periodSeconds: 60) {
                throw DeviceAPIError.rateLimited(retryAfter: wait)
            }
            throw DeviceAPIError.unauthorized
        }
        let tenant = key.environmentID ?? "*"
        if let wait = try await runtime.requestLimiter.acquire(
            "t|" + tenant + "|" + ip, limit: config.deviceTenantPerMinute, periodSeconds: 60)
        {
            throw DeviceAPIError.rateLimited(retryAfter: wait)
        }
        guard key.scopes.contains(scope) else { throw DeviceAPIError.insufficientScope(scope) }
        return key
    }

    /// The TCP peer, or the last X-Forwarded-For address when the peer is a trusted reverse proxy.
    func clientIP(_ request: Request, context: ArgusRequestContext) -> String {
        let peer = context.peerAddress.flatMap(IPAddress.canonical) ?? "0.0.0.0"
        if runtime.config.trustedProxies.contains(peer), let forwarded = request.headers[IdentifyController.forwardedForHeader],
            let last = forwarded.split(separator: ",").last.flatMap({ IPAddress.canonical($0.trimmingCharacters(in: .whitespaces)) })
        {
            return last
        }
        return peer
    }
}

/// The JSON shapes of the Device API.
enum DeviceJSON {
    /// The seed's device object, fields in its table's order.
    static func device(_ d: DeviceRecord) -> JSON {
        var o = JSONObject()
        o.append("deviceId", .string(d.id))
        o.append("domainId", .string(d.environmentID))
        o.append("score", .int(Int64(d.risk.score)))
        o.append("riskLevel", .string(d.risk.level.rawValue))
        o.append("confidence", .double(d.risk.confidence))
        o.append("flags", .array(d.risk.flags.map(JSON.string)))
        o.append("country", d.country.map(JSON.string) ?? .null)
        o.append("city", d.city.map(JSON.string) ?? .null)
        o.append("createdAt", .string(ISOTime.format(d.createdAt)))
        o.append("lastSubmittedAt", .string(ISOTime.format(d.lastSubmittedAt)))
        o.append("lastSeenAt", .string(ISOTime.format(d.lastSeenAt)))
        return .object(o)
    }

    /// The identify answer's `risk` (agent-protocol.md, additive): what `checkOnce()` reports as score and risk_level.
    static func risk(_ r: RiskSummary) -> JSON {
        [
            "score": .int(Int64(r.score)), "level": .string(r.level.rawValue), "confidence": .double(r.confidence),
            "flags": .array(r.flags.map(JSON.string)),
        ]
    }

    /// A submission (`/v1/events`): the event's own risk verdict and place.
    static func event(_ e: StoredEvent) -> JSON {
        var o = JSONObject()
        o.append("eventId", .string(e.id))
        o.append("deviceId", .string(e.visitorID))
        o.append("domainId", .string(e.environmentID))
        o.append("timestamp", .string(ISOTime.format(e.timestamp)))
        o.append("score", .int(Int64(e.risk.score)))
        o.append("riskLevel", .string(e.risk.level.rawValue))
        o.append("confidence", .double(e.risk.confidence))
        o.append("flags", .array(e.risk.flags.map(JSON.string)))
        o.append("ip", .string(e.ipAddress))
        o.append("country", e.country.map(JSON.string) ?? .null)
        o.append("city", e.city.map(JSON.string) ?? .null)
        o.append("linkedId", e.linkedID.map(JSON.string) ?? .null)
        return .object(o)
    }

    /// A visit (`/v1/visits`): where and when a device was seen.
    static func visit(_ e: StoredEvent) -> JSON {
        let document = try? JSONParser.parse(e.document)
        var o = JSONObject()
        o.append("visitId", .string(e.id))
        o.append("deviceId", .string(e.visitorID))
        o.append("domainId", .string(e.environmentID))
        o.append("timestamp", .string(ISOTime.format(e.timestamp)))
        o.append("url", document?["url"]?.stringValue.map(JSON.string) ?? .null)
        o.append("referrer", document?["client_referrer"]?.stringValue.map(JSON.string) ?? .null)
        o.append("ip", .string(e.ipAddress))
        o.append("country", e.country.map(JSON.string) ?? .null)
        o.append("city", e.city.map(JSON.string) ?? .null)
        return .object(o)
    }
}

/// ISO-8601 UTC times with milliseconds (`2025-01-05T12:00:00.000Z`), without Foundation formatters.
enum ISOTime {
    static func format(_ ms: Int64) -> String {
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let rest = ms - days * 86_400_000
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3_600_000, 2)):\(pad(rest / 60_000 % 60, 2)):"
            + "\(pad(rest / 1000 % 60, 2)).\(pad(rest % 1000, 3))Z"
    }

    /// Milliseconds from an integer (ms since the epoch) or an ISO-8601 time.
    static func parse(_ text: String) -> Int64? {
        if let n = Int64(text), n >= 0 { return n }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        guard let date = fractional.date(from: text) ?? plain.date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}

/// Query parameters shared by `/v1/devices` and `/v1/exports/fingerprints`, and their signed cursors.
enum DeviceListParameters {
    static func parse(_ p: Parameters, environmentID: String?, defaultLimit: Int = 50) throws -> DeviceQuery {
        var q = DeviceQuery(environmentID: environmentID, limit: defaultLimit)
        if let v = p.get("riskLevel") ?? p.get("risk_level") {
            for part in v.split(separator: ",") {
                guard let level = RiskLevel(rawValue: String(part)) else {
                    throw DeviceAPIError.invalid("riskLevel must be minimal, low, medium, high or critical (comma-separated)")
                }
                if !q.levels.contains(level) { q.levels.append(level) }
            }
        }
        if let v = p.get("flag") {
            guard !v.isEmpty, v.count <= 64, v.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
            else { throw DeviceAPIError.invalid("flag must be a snake_case name") }
            q.flag = v
        }
        if let v = p.get("country") {
            guard v.count == 2, v.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
                throw DeviceAPIError.invalid("country must be an ISO 3166-1 alpha-2 code")
            }
            q.country = v.uppercased()
        }
        if let v = p.get("seenSince") ?? p.get("since") {
            guard let ms = ISOTime.parse(v) else { throw DeviceAPIError.invalid("seenSince must be an ISO-8601 time or epoch milliseconds") }
            q.seenSince = ms
        }
        if let v = p.get("seenUntil") ?? p.get("until") {
            guard let ms = ISOTime.parse(v) else { throw DeviceAPIError.invalid("seenUntil must be an ISO-8601 time or epoch milliseconds") }
            q.seenUntil = ms
        }
        if let v = p.get("sort") {
            let descending = v.hasPrefix("-")
            guard let field = DeviceQuery.SortField(rawValue: descending ? String(v.dropFirst()) : v) else {
                throw DeviceAPIError.invalid("sort must be lastSeenAt, -lastSeenAt, score or -score")
            }
            q.sort = field
            q.descending = descending
        }
        if let v = p.get("limit") {
            guard let n = Int(v), (1...100).contains(n) else { throw DeviceAPIError.invalid("limit must be 1 to 100") }
            q.limit = n
        }
        return q
    }

    static func digest(_ q: DeviceQuery) -> String {
        SignedFields.digest([
            q.environmentID ?? "*", q.levels.map(\.rawValue).joined(separator: ","), q.flag ?? "", q.country ?? "",
            q.seenSince.map(String.init) ?? "", q.seenUntil.map(String.init) ?? "", q.sort.rawValue, String(q.descending),
        ])
    }

    /// The last row's key and a hash of the query's filters, signed (`SignedFields`).
    static func seal(_ c: DeviceCursor, query: DeviceQuery, key: SymmetricKey) -> String {
        SignedFields.seal([c.environmentID, String(c.value), c.id, digest(query)], key: key)
    }

    static func open(_ text: String, query: DeviceQuery, key: SymmetricKey) -> DeviceCursor? {
        guard let fields = SignedFields.open(text, key: key), fields.count == 4, let value = Int64(fields[1]),
            fields[3] == digest(query)
        else { return nil }
        return DeviceCursor(environmentID: fields[0], value: value, id: fields[2])
    }
}
