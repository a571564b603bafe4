import ArgusCore

public struct EnvironmentRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var createdAt: Int64
    /// Days events are kept (retention job).
    public var retentionDays: Int
    /// Proxy integrations with a valid proxy secret get the open client response (spec §5).
    public var openResponse: Bool

    public init(id: String, name: String, createdAt: Int64, retentionDays: Int = 365, openResponse: Bool = false) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.retentionDays = retentionDays
        self.openResponse = openResponse
    }
}

/// An environment's key for sealed client results. The key material is kept
/// sealed under the master key (`sealedKey`).
public struct EncryptionKeyRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Created, never used (a new environment has one).
        case inactive
        /// Shown by a rotation, waiting for its confirmation.
        case pending
        /// Sealing with it; at most one per environment at any moment.
        case active
        /// Was active; cannot be deleted for 72 hours after deactivation.
        case deactivated
    }

    public var id: String
    public var environmentID: String
    public var sealedKey: [UInt8]
    public var status: Status
    public var createdAt: Int64
    public var activatedAt: Int64?
    public var deactivatedAt: Int64?
    /// The key that was active before this one became active (for revert).
    public var previousKeyID: String?
    /// Results sealed with this key (rotation is advised before 4 billion).
    public var sealCount: Int64

    public init(
        id: String, environmentID: String, sealedKey: [UInt8], status: Status, createdAt: Int64, activatedAt: Int64? = nil,
        deactivatedAt: Int64? = nil, previousKeyID: String? = nil, sealCount: Int64 = 0
    ) {
        self.id = id
        self.environmentID = environmentID
        self.sealedKey = sealedKey
        self.status = status
        self.createdAt = createdAt
        self.activatedAt = activatedAt
        self.deactivatedAt = deactivatedAt
        self.previousKeyID = previousKeyID
        self.sealCount = sealCount
    }
}

/// A public key, secret key or proxy secret. Secrets are kept only as
/// `secretHash` (SHA-256); a proxy secret is also kept sealed under the
/// master key in `sealedSecret` so that `argus bootstrap` can show it again.
public struct KeyRecord: Sendable, Equatable {
    public var id: String
    /// nil: the key belongs to the whole workspace.
    public var environmentID: String?
    public var kind: KeyKind
    /// The public key itself (`pk_…`); nil for secrets.
    public var publicValue: String?
    public var secretHash: String?
    public var sealedSecret: [UInt8]?
    public var scopes: [Scope]
    /// Origins a public key accepts (`https://shop.example`); empty: every origin.
    public var allowedOrigins: [String]
    public var name: String
    public var createdAt: Int64
    public var revokedAt: Int64?
    /// Server API requests per second for a secret key (nil: the default).
    public var rateLimitPerSecond: Int?

    public init(
        id: String, environmentID: String?, kind: KeyKind, publicValue: String? = nil, secretHash: String? = nil,
        sealedSecret: [UInt8]? = nil, scopes: [Scope] = [], allowedOrigins: [String] = [], name: String = "",
        createdAt: Int64, revokedAt: Int64? = nil, rateLimitPerSecond: Int? = nil
    ) {
        self.id = id
        self.environmentID = environmentID
        self.kind = kind
        self.publicValue = publicValue
        self.secretHash = secretHash
        self.sealedSecret = sealedSecret
        self.scopes = scopes
        self.allowedOrigins = allowedOrigins
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.rateLimitPerSecond = rateLimitPerSecond
    }

    public var isActive: Bool { revokedAt == nil }
}

/// What the store keeps of a visitor, for identification and for the v4 fields.
public struct VisitorRecord: Sendable, Equatable {
    public var environmentID: String
    public var id: String
    public var firstSeenAt: Int64
    public var lastSeenAt: Int64
    public var eventCount: Int64
    /// The identification engine's own state for this visitor (opaque to storage).
    public var profile: [UInt8]

    public init(
        environmentID: String, id: String, firstSeenAt: Int64, lastSeenAt: Int64, eventCount: Int64,
        profile: [UInt8] = []
    ) {
        self.environmentID = environmentID
        self.id = id
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.eventCount = eventCount
        self.profile = profile
    }
}

/// An event as stored: the v4 document (exact bytes served by the API) plus
/// the columns that searches and erasure need, and the identify request's
/// body as the agent sent it (`components`: the raw signals, for detectors
/// and audits).
public struct StoredEvent: Sendable, Equatable {
    public var id: String
    public var environmentID: String
    public var visitorID: String
    public var timestamp: Int64
    public var linkedID: String?
    public var ipAddress: String
    public var suspect: Bool
    public var document: [UInt8]
    public var components: [UInt8]
    /// Argus's risk verdict for this event (signals issue); `.none` until computed.
    public var risk: RiskSummary
    /// ISO country code and city of the IP, when an IP database is configured.
    public var country: String?
    public var city: String?

    public init(
        id: String, environmentID: String, visitorID: String, timestamp: Int64, linkedID: String?,
        ipAddress: String, suspect: Bool = false, document: [UInt8], components: [UInt8],
        risk: RiskSummary = .none, country: String? = nil, city: String? = nil
    ) {
        self.id = id
        self.environmentID = environmentID
        self.visitorID = visitorID
        self.timestamp = timestamp
        self.linkedID = linkedID
        self.ipAddress = ipAddress
        self.suspect = suspect
        self.document = document
        self.components = components
        self.risk = risk
        self.country = country
        self.city = city
    }
}

public enum StoreError: Error, Equatable, CustomStringConvertible {
    case conflict(String)
    case notFound(String)
    case unavailable(String)

    public var description: String {
        switch self {
        case .conflict(let s): return "conflict: \(s)"
        case .notFound(let s): return "not found: \(s)"
        case .unavailable(let s): return "store unavailable: \(s)"
        }
    }
}

/// A search of events (Server API `GET /v4/events`), newest first unless `reverse`.
public struct EventQuery: Sendable, Equatable {
    /// nil: every environment (a workspace key).
    public var environmentID: String?
    public var visitorID: String?
    public var linkedID: String?
    public var ipAddress: String?
    public var suspect: Bool?
    /// Inclusive bounds, milliseconds.
    public var start: Int64
    public var end: Int64
    /// Oldest first.
    public var reverse: Bool
    public var limit: Int
    /// Keyset pagination: continue after this (timestamp, id).
    public var after: EventCursor?
    /// Smart-signal conditions on the stored event document (all must hold).
    public var signals: [SignalFilter] = []

    public init(
        environmentID: String?, visitorID: String? = nil, linkedID: String? = nil, ipAddress: String? = nil,
        suspect: Bool? = nil, start: Int64, end: Int64, reverse: Bool = false, limit: Int = 10, after: EventCursor? = nil
    ) {
        self.environmentID = environmentID
        self.visitorID = visitorID
        self.linkedID = linkedID
        self.ipAddress = ipAddress
        self.suspect = suspect
        self.start = start
        self.end = end
        self.reverse = reverse
        self.limit = limit
        self.after = after
    }
}

/// A condition on one smart-signal field of the event document: the field at
/// `path` (object keys from the document's root) must exist and match one of `oneOf`.
/// An event without the field never matches (the v4 search's rule).
public struct SignalFilter: Sendable, Equatable {
    public enum Value: Sendable, Equatable, Hashable {
        case bool(Bool)
        case string(String)
        /// A number at least this.
        case atLeast(Double)
    }

    public var path: [String]
    public var oneOf: [Value]

    public init(path: [String], oneOf: [Value]) {
        self.path = path
        self.oneOf = oneOf
    }

    /// A stable text of the condition (pagination keys bind the filters they were made for).
    public var canonical: String {
        path.joined(separator: ".") + "=" + oneOf.map {
            switch $0 {
            case .bool(let b): b ? "true" : "false"
            case .string(let s): "'" + s + "'"
            case .atLeast(let n): ">=" + String(n)
            }
        }.joined(separator: "|")
    }
}

public struct EventCursor: Sendable, Equatable {
    public var timestamp: Int64
    public var id: String

    public init(timestamp: Int64, id: String) {
        self.timestamp = timestamp
        self.id = id
    }
}
