import ArgusCore

/// Webhook endpoints, their outbox (deliveries) and the delivery log (spec §4).
///
/// Outbox rows are written by `ArgusStore.recordEvent` in the event's own
/// transaction, one per enabled endpoint of the event's environment whose
/// filter matches; the methods here let workers claim and complete them.
///
/// Claims are leases: `claimWebhookDeliveries` hands a due delivery to one
/// caller for `leaseMs`; an instance that dies holding it loses it when the
/// lease runs out, and another claims it again. A completion counts only if
/// the caller still holds the lease (`leaseToken`).
public protocol WebhookStore: Sendable {
    /// Throws `StoreError.conflict` when the id exists.
    func createWebhook(_ endpoint: WebhookEndpointRecord) async throws
    func webhook(id: String) async throws -> WebhookEndpointRecord?
    func webhooks(environmentID: String) async throws -> [WebhookEndpointRecord]
    /// Replaces url, auth, filter and enabled; false when it does not exist.
    func updateWebhook(_ endpoint: WebhookEndpointRecord) async throws -> Bool
    /// Deletes the endpoint with its deliveries and their log; false when it did not exist.
    func deleteWebhook(id: String) async throws -> Bool

    /// Up to `limit` due deliveries (pending, next attempt at or before `nowMs`,
    /// enabled endpoint), each leased to this caller until `nowMs + leaseMs`.
    /// Deliveries whose event no longer exists (erased) are dropped.
    func claimWebhookDeliveries(nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [ClaimedWebhookDelivery]
    /// Records an attempt and its outcome; false (and no change of state) when the lease was lost.
    func completeWebhookDelivery(_ completion: WebhookCompletion) async throws -> Bool
    /// Several completions in one transaction (workers batch them); for each, whether its lease still held.
    func completeWebhookDeliveries(_ completions: [WebhookCompletion]) async throws -> [Bool]

    /// The endpoint's deliveries, newest first, optionally of one status, before the `before` delivery id (paging).
    func webhookDeliveries(endpointID: String, status: WebhookDeliveryStatus?, limit: Int, before: String?) async throws
        -> [WebhookDeliveryRecord]
    func webhookDelivery(id: String) async throws -> WebhookDeliveryRecord?
    /// The delivery's attempts, oldest first.
    func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord]
    /// Queues failed deliveries of the endpoint again (one, or all when `deliveryID` is nil), due at once,
    /// with a fresh retry horizon; the number queued.
    func redeliverWebhookDeliveries(endpointID: String, deliveryID: String?, nowMs: Int64) async throws -> Int
    /// Counts by status for the endpoint.
    func webhookDeliveryCounts(endpointID: String) async throws -> [WebhookDeliveryStatus: Int]
}

public struct WebhookEndpointRecord: Sendable, Equatable {
    public var id: String
    public var environmentID: String
    public var url: String
    /// Basic auth user name; its password is kept sealed in `sealedPassword`.
    public var basicAuthUser: String?
    public var sealedPassword: [UInt8]?
    /// The signing secret, sealed under the master key.
    public var sealedSecret: [UInt8]
    public var enabled: Bool
    public var filter: WebhookFilter
    public var createdAt: Int64

    public init(
        id: String, environmentID: String, url: String, basicAuthUser: String? = nil, sealedPassword: [UInt8]? = nil,
        sealedSecret: [UInt8], enabled: Bool = true, filter: WebhookFilter = WebhookFilter(), createdAt: Int64
    ) {
        self.id = id
        self.environmentID = environmentID
        self.url = url
        self.basicAuthUser = basicAuthUser
        self.sealedPassword = sealedPassword
        self.sealedSecret = sealedSecret
        self.enabled = enabled
        self.filter = filter
        self.createdAt = createdAt
    }
}

public enum WebhookDeliveryStatus: String, Sendable, CaseIterable {
    /// Waiting for its (next) attempt, or being attempted under a lease.
    case pending
    case delivered
    /// Gave up after the retry horizon; can be redelivered.
    case failed
}

public struct WebhookDeliveryRecord: Sendable, Equatable {
    /// A new delivery id, sortable by creation time: `whd_<13-digit ms>_<random>` (every store).
    public static func newID(createdAtMs ms: Int64) -> String {
        let digits = String(max(0, ms))
        return "whd_" + String(repeating: "0", count: max(0, 13 - digits.count)) + digits + "_" + Identifiers.randomBase62(10)
    }

    public var id: String
    public var endpointID: String
    public var eventID: String
    public var status: WebhookDeliveryStatus
    public var attempts: Int
    /// When the current retry horizon started (queued, or redelivered).
    public var queuedAt: Int64
    public var nextAttemptAt: Int64
    public var lastAttemptAt: Int64?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var deliveredAt: Int64?

    public init(
        id: String, endpointID: String, eventID: String, status: WebhookDeliveryStatus, attempts: Int, queuedAt: Int64,
        nextAttemptAt: Int64, lastAttemptAt: Int64? = nil, lastStatusCode: Int? = nil, lastError: String? = nil,
        deliveredAt: Int64? = nil
    ) {
        self.id = id
        self.endpointID = endpointID
        self.eventID = eventID
        self.status = status
        self.attempts = attempts
        self.queuedAt = queuedAt
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.deliveredAt = deliveredAt
    }
}

/// One try of a delivery, as logged.
public struct WebhookAttemptRecord: Sendable, Equatable {
    public var deliveryID: String
    /// 1-based.
    public var number: Int
    public var startedAt: Int64
    public var latencyMs: Int64
    /// The receiver's HTTP status; nil when no response came (refused, timeout, forbidden address).
    public var statusCode: Int?
    public var error: String?

    public init(deliveryID: String, number: Int, startedAt: Int64, latencyMs: Int64, statusCode: Int?, error: String?) {
        self.deliveryID = deliveryID
        self.number = number
        self.startedAt = startedAt
        self.latencyMs = latencyMs
        self.statusCode = statusCode
        self.error = error
    }
}

/// A delivery handed to a worker, with what it needs to send it.
public struct ClaimedWebhookDelivery: Sendable {
    public var delivery: WebhookDeliveryRecord
    public var endpoint: WebhookEndpointRecord
    /// The stored v4 event document (the exact bytes the Server API serves).
    public var document: [UInt8]
    /// Proves the lease when completing.
    public var leaseToken: String

    public init(delivery: WebhookDeliveryRecord, endpoint: WebhookEndpointRecord, document: [UInt8], leaseToken: String) {
        self.delivery = delivery
        self.endpoint = endpoint
        self.document = document
        self.leaseToken = leaseToken
    }
}

public struct WebhookCompletion: Sendable {
    public enum Outcome: Sendable, Equatable {
        case delivered
        case retry(atMs: Int64)
        case failed

        public enum Kind: String, Sendable, CaseIterable {
            case delivered, retry, failed
        }

        public var kind: Kind {
            switch self {
            case .delivered: return .delivered
            case .retry: return .retry
            case .failed: return .failed
            }
        }
    }

    public var deliveryID: String
    public var leaseToken: String
    public var attempt: WebhookAttemptRecord
    public var outcome: Outcome

    /// What the delivery's row becomes (every store writes the same): its status, when it is
    /// next due (the attempt's start unless retried later), and when it was delivered.
    public var resultingState: (status: WebhookDeliveryStatus, nextAttemptAt: Int64, deliveredAt: Int64?) {
        switch outcome {
        case .delivered: return (.delivered, attempt.startedAt, attempt.startedAt + attempt.latencyMs)
        case .retry(let at): return (.pending, at, nil)
        case .failed: return (.failed, attempt.startedAt, nil)
        }
    }

    public init(deliveryID: String, leaseToken: String, attempt: WebhookAttemptRecord, outcome: Outcome) {
        self.deliveryID = deliveryID
        self.leaseToken = leaseToken
        self.attempt = attempt
        self.outcome = outcome
    }
}

extension WebhookFilter {
    /// A filter as a store keeps it (its JSON text; NULL or unreadable: deliver everything).
    public init(stored text: String?) {
        guard let text, let json = try? JSONParser.parse(Array(text.utf8)), case .success(let f) = WebhookFilter.parse(json)
        else {
            self.init()
            return
        }
        self = f
    }
}

extension StoredEvent {
    /// The endpoints (of this event's environment, enabled) that want this event: an empty
    /// filter takes every event; the document is parsed once, and only if a filter needs it.
    /// Both stores queue one outbox row per endpoint named here.
    public func endpoints(wanting candidates: [(id: String, filter: WebhookFilter)]) -> [String] {
        var parsed: JSON?
        return candidates.compactMap { endpoint in
            if !endpoint.filter.isEmpty {
                if parsed == nil { parsed = (try? JSONParser.parse(document)) ?? .null }
                if !endpoint.filter.matches(parsed!) { return nil }
            }
            return endpoint.id
        }
    }
}
