import ArgusCore
import ArgusStorage
import Foundation

/// Webhook endpoints and their delivery log: what `argus webhooks …` and the
/// admin API do. Every check happens before anything is written.
public struct Webhooks: Sendable {
    public let runtime: ArgusRuntime
    var store: any ArgusStore { runtime.store }

    public init(runtime: ArgusRuntime) { self.runtime = runtime }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        case notFound(String)

        public var description: String {
            switch self {
            case .invalid(let s), .notFound(let s): return s
            }
        }
    }

    public struct BasicAuth: Sendable, Equatable {
        public var username: String
        public var password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    public struct Created: Sendable {
        public let record: WebhookEndpointRecord
        /// The signing secret; shown again by `secret(of:)` to admins.
        public let secret: String
    }

    static let maxURLBytes = 2048

    /// Checks a target URL: http or https, a host, no credentials in it (use Basic auth), and, unless
    /// private targets are allowed, not a literal forbidden address (names are checked at each delivery).
    public func validateURL(_ text: String) throws -> String {
        guard text.utf8.count <= Self.maxURLBytes else { throw Failure.invalid("url is longer than \(Self.maxURLBytes) bytes") }
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { throw Failure.invalid("url must be an absolute http:// or https:// URL") }
        guard let host = c.host, !host.isEmpty else { throw Failure.invalid("url has no host") }
        guard c.user == nil, c.password == nil else {
            throw Failure.invalid("url must not hold credentials; use basicAuth")
        }
        guard c.fragment == nil else { throw Failure.invalid("url must not have a #fragment") }
        if !runtime.config.webhookAllowPrivate {
            let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            if case .forbidden(let why) = OutboundAddressPolicy.classify(bare), IPAddress.bytes(bare) != nil {
                throw Failure.invalid("url targets \(bare) (\(why)); set ARGUS_WEBHOOK_ALLOW_PRIVATE=1 to allow")
            }
            if bare.lowercased() == "localhost" || bare.lowercased().hasSuffix(".localhost") {
                throw Failure.invalid("url targets localhost; set ARGUS_WEBHOOK_ALLOW_PRIVATE=1 to allow")
            }
        }
        return text
    }

    static func validate(_ auth: BasicAuth?) throws {
        guard let auth else { return }
        guard !auth.username.isEmpty, !auth.username.contains(":"), auth.username.utf8.count <= 256, auth.password.utf8.count <= 256
        else { throw Failure.invalid("basicAuth.username must be 1-256 bytes without ':'; password at most 256 bytes") }
    }

    public func create(
        environment: EnvironmentRecord, url: String, basicAuth: BasicAuth? = nil, filter: WebhookFilter = WebhookFilter(),
        enabled: Bool = true
    ) async throws -> Created {
        let url = try validateURL(url)
        try Self.validate(basicAuth)
        let secret = "whsec_" + Identifiers.randomBase62(32)
        let record = WebhookEndpointRecord(
            id: "wh_" + Identifiers.randomBase62(16), environmentID: environment.id, url: url, basicAuthUser: basicAuth?.username,
            sealedPassword: try basicAuth.map { try runtime.secretBox.seal(Array($0.password.utf8)) },
            sealedSecret: try runtime.secretBox.seal(Array(secret.utf8)), enabled: enabled, filter: filter,
            createdAt: runtime.clock.nowMs())
        try await store.createWebhook(record)
        return Created(record: record, secret: secret)
    }

    /// The endpoint, if it belongs to the environment.
    public func endpoint(_ environment: EnvironmentRecord, id: String) async throws -> WebhookEndpointRecord {
        guard id.utf8.count <= 64, let w = try await store.webhook(id: id), w.environmentID == environment.id else {
            throw Failure.notFound("no webhook '\(id)' in environment '\(environment.name)'")
        }
        return w
    }

    public func list(_ environment: EnvironmentRecord) async throws -> [WebhookEndpointRecord] {
        try await store.webhooks(environmentID: environment.id)
    }

    public func secret(of endpoint: WebhookEndpointRecord) throws -> String {
        String(decoding: try runtime.secretBox.open(endpoint.sealedSecret), as: UTF8.self)
    }

    /// A change; nil fields stay. `basicAuth: .some(nil)` removes Basic auth.
    public struct Change: Sendable {
        public var url: String?
        public var enabled: Bool?
        public var filter: WebhookFilter?
        public var basicAuth: BasicAuth??
        public init(url: String? = nil, enabled: Bool? = nil, filter: WebhookFilter? = nil, basicAuth: BasicAuth?? = nil) {
            self.url = url
            self.enabled = enabled
            self.filter = filter
            self.basicAuth = basicAuth
        }
    }

    public func update(_ environment: EnvironmentRecord, id: String, change: Change) async throws -> WebhookEndpointRecord {
        var w = try await endpoint(environment, id: id)
        if let url = change.url { w.url = try validateURL(url) }
        if let enabled = change.enabled { w.enabled = enabled }
        if let filter = change.filter { w.filter = filter }
        if let auth = change.basicAuth {
            try Self.validate(auth)
            w.basicAuthUser = auth?.username
            w.sealedPassword = try auth.map { try runtime.secretBox.seal(Array($0.password.utf8)) }
        }
        guard try await store.updateWebhook(w) else { throw Failure.notFound("no webhook '\(id)'") }
        return w
    }

    public func delete(_ environment: EnvironmentRecord, id: String) async throws {
        let w = try await endpoint(environment, id: id)
        guard try await store.deleteWebhook(id: w.id) else { throw Failure.notFound("no webhook '\(id)'") }
    }

    /// Failed deliveries (or one delivery, failed or delivered) queued again; how many.
    public func redeliver(_ environment: EnvironmentRecord, id: String, deliveryID: String?) async throws -> Int {
        let w = try await endpoint(environment, id: id)
        if let deliveryID {
            guard let d = try await store.webhookDelivery(id: deliveryID), d.endpointID == w.id else {
                throw Failure.notFound("no delivery '\(deliveryID)' for webhook '\(id)'")
            }
        }
        return try await store.redeliverWebhookDeliveries(endpointID: w.id, deliveryID: deliveryID, nowMs: runtime.clock.nowMs())
    }
}

extension WebhookEndpointRecord {
    /// The admin view (never the secret or the password).
    public var json: JSON {
        var o = JSONObject()
        o.append("id", .string(id))
        o.append("url", .string(url))
        o.append("enabled", .bool(enabled))
        o.append("filter", filter.json)
        o.append("basicAuth", basicAuthUser.map { ["username": .string($0)] } ?? .null)
        o.append("createdAt", .int(createdAt))
        return .object(o)
    }
}

extension WebhookDeliveryRecord {
    public var json: JSON {
        var o = JSONObject()
        o.append("id", .string(id))
        o.append("eventId", .string(eventID))
        o.append("status", .string(status.rawValue))
        o.append("attempts", .int(Int64(attempts)))
        o.append("queuedAt", .int(queuedAt))
        o.append("nextAttemptAt", status == .pending ? .int(nextAttemptAt) : .null)
        o.append("lastAttemptAt", JSON(lastAttemptAt))
        o.append("lastStatusCode", lastStatusCode.map { .int(Int64($0)) } ?? .null)
        o.append("lastError", JSON(lastError))
        o.append("deliveredAt", JSON(deliveredAt))
        return .object(o)
    }
}

extension WebhookAttemptRecord {
    public var json: JSON {
        [
            "number": .int(Int64(number)), "startedAt": .int(startedAt), "latencyMs": .int(latencyMs),
            "statusCode": statusCode.map { .int(Int64($0)) } ?? .null, "error": JSON(error),
        ]
    }
}
