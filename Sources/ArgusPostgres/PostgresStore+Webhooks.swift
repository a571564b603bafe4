import ArgusCore
import ArgusStorage
import NIOCore
import PostgresNIO

/// Webhook endpoints, outbox and delivery log (see `WebhookStore`). The outbox rows are
/// written by the event writer (PostgresStore+Events.swift) in the event's transaction.
extension PostgresStore {
    // MARK: endpoints

    static let endpointColumns =
        "id, environment_id, url, basic_auth_user, sealed_password, sealed_secret, enabled, filter, created_at"

    public func createWebhook(_ w: WebhookEndpointRecord) async throws {
        do {
            try await execute(
                """
                INSERT INTO webhook_endpoints (id, environment_id, url, basic_auth_user, sealed_password, sealed_secret,
                  enabled, filter, created_at)
                VALUES (\(w.id), \(w.environmentID), \(w.url), \(w.basicAuthUser), \(w.sealedPassword.map { ByteBuffer(bytes: $0) }),
                  \(ByteBuffer(bytes: w.sealedSecret)), \(w.enabled), \(JSONWriter.string(w.filter.json)), \(w.createdAt))
                """)
        } catch where Self.isConstraint(error) {
            throw StoreError.conflict("webhook '\(w.id)' exists")
        }
    }

    public func webhook(id: String) async throws -> WebhookEndpointRecord? {
        try await row("SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints WHERE id = \(id)").map(Self.webhookEndpoint)
    }

    public func webhooks(environmentID: String) async throws -> [WebhookEndpointRecord] {
        try await rows(
            """
            SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints WHERE environment_id = \(environmentID)
            ORDER BY created_at, id
            """
        ).map(Self.webhookEndpoint)
    }

    public func updateWebhook(_ w: WebhookEndpointRecord) async throws -> Bool {
        try await execute(
            """
            UPDATE webhook_endpoints SET url = \(w.url), basic_auth_user = \(w.basicAuthUser),
              sealed_password = \(w.sealedPassword.map { ByteBuffer(bytes: $0) }), enabled = \(w.enabled),
              filter = \(JSONWriter.string(w.filter.json))
            WHERE id = \(w.id)
            """) > 0
    }

    /// The endpoint row goes first: it waits for event transactions that share-locked it, whose
    /// outbox rows the next statements then see and delete.
    public func deleteWebhook(id: String) async throws -> Bool {
        try await transaction { c, logger in
            let deleted = try await Self.execute(c, "DELETE FROM webhook_endpoints WHERE id = \(id)", logger: logger)
            try await Self.execute(
                c,
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = \(id))",
                logger: logger)
            try await Self.execute(c, "DELETE FROM webhook_deliveries WHERE endpoint_id = \(id)", logger: logger)
            return deleted > 0
        }
    }

    static func webhookEndpoint(_ r: Row) throws -> WebhookEndpointRecord {
        WebhookEndpointRecord(
            id: try r("id"), environmentID: try r("environment_id"), url: try r("url"), basicAuthUser: try r("basic_auth_user"),
            sealedPassword: try r.optionalBytes("sealed_password"), sealedSecret: try r.bytes("sealed_secret"),
            enabled: try r("enabled"), filter: WebhookFilter(stored: try r("filter")), createdAt: try r("created_at"))
    }

    // MARK: claims and completions

    static let deliveryColumns =
        "id, endpoint_id, event_id, status, attempts, queued_at, next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at"

    /// Picks and leases in one statement; `FOR UPDATE SKIP LOCKED` hands each due delivery to
    /// one instance, the others passing over it. While leased, next_attempt_at is the lease's end,
    /// so a claim whose holder died comes due again by itself.
    public func claimWebhookDeliveries(nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [ClaimedWebhookDelivery] {
        guard limit > 0 else { return [] }
        // An idle poll costs one indexed read and takes no lock.
        let due = try await row(
            "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= \(nowMs)) AS due")
        guard try due?("due", as: Bool.self) ?? false else { return [] }
        let token = Identifiers.randomBase62(16)
        return try await transaction { c, logger in
            let rows = try await Self.rows(
                c,
                """
                WITH claimed AS (
                  UPDATE webhook_deliveries SET lease_token = \(token), next_attempt_at = \(nowMs + leaseMs)
                  WHERE id IN (
                    SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
                    WHERE d.status = 'pending' AND d.next_attempt_at <= \(nowMs) AND w.enabled
                    ORDER BY d.next_attempt_at LIMIT \(limit)
                    FOR UPDATE OF d SKIP LOCKED)
                  RETURNING \(unescaped: Self.deliveryColumns))
                SELECT claimed.*, e.document FROM claimed LEFT JOIN events e ON e.id = claimed.event_id
                ORDER BY claimed.next_attempt_at, claimed.id
                """, logger: logger)
            var endpoints: [String: WebhookEndpointRecord] = [:]
            var gone: [String] = []
            var claimed: [ClaimedWebhookDelivery] = []
            for r in rows {
                let delivery = try Self.webhookDelivery(r)
                guard let document = try r.optionalBytes("document") else {
                    // The event was erased: nothing left to deliver.
                    gone.append(delivery.id)
                    continue
                }
                if endpoints[delivery.endpointID] == nil {
                    endpoints[delivery.endpointID] = try await Self.rows(
                        c,
                        "SELECT \(unescaped: Self.endpointColumns) FROM webhook_endpoints WHERE id = \(delivery.endpointID)",
                        logger: logger
                    ).first.map(Self.webhookEndpoint)
                }
                guard let endpoint = endpoints[delivery.endpointID] else { continue }
                claimed.append(ClaimedWebhookDelivery(delivery: delivery, endpoint: endpoint, document: document, leaseToken: token))
            }
            if !gone.isEmpty {
                try await Self.execute(c, "DELETE FROM webhook_deliveries WHERE id = ANY(\(gone))", logger: logger)
            }
            return claimed
        }
    }

    public func completeWebhookDelivery(_ c: WebhookCompletion) async throws -> Bool {
        try await completeWebhookDeliveries([c]).first ?? false
    }

    public func completeWebhookDeliveries(_ completions: [WebhookCompletion]) async throws -> [Bool] {
        guard !completions.isEmpty else { return [] }
        return try await transaction { c, logger in
            var kept: [Bool] = []
            for completion in completions {
                let a = completion.attempt
                let (status, next, deliveredAt) = completion.resultingState
                // The attempt happened, lease or not: it is logged either way (unless the endpoint was deleted meanwhile).
                try await Self.execute(
                    c,
                    """
                    INSERT INTO webhook_attempts (delivery_id, number, started_at, latency_ms, status_code, error)
                    SELECT \(completion.deliveryID), \(Int64(a.number)), \(a.startedAt), \(a.latencyMs), \(a.statusCode.map { Int64($0) }),
                      \(a.error)
                    WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = \(completion.deliveryID))
                    """, logger: logger)
                let changed = try await Self.execute(
                    c,
                    """
                    UPDATE webhook_deliveries SET status = \(status.rawValue), attempts = attempts + 1, next_attempt_at = \(next),
                      lease_token = NULL, last_attempt_at = \(a.startedAt), last_status_code = \(a.statusCode.map { Int64($0) }),
                      last_error = \(a.error), delivered_at = \(deliveredAt)
                    WHERE id = \(completion.deliveryID) AND lease_token = \(completion.leaseToken) AND status = 'pending'
                    """, logger: logger)
                kept.append(changed > 0)
            }
            return kept
        }
    }

    // MARK: the log

    public func webhookDeliveries(endpointID: String, status: WebhookDeliveryStatus?, limit: Int, before: String?) async throws
        -> [WebhookDeliveryRecord]
    {
        var binds = PostgresBindings()
        binds.append(endpointID)
        var sql = "SELECT \(Self.deliveryColumns) FROM webhook_deliveries WHERE endpoint_id = $1"
        if let status {
            binds.append(status.rawValue)
            sql += " AND status = $\(binds.count)"
        }
        if let before {
            binds.append(before)
            sql += " AND id < $\(binds.count)"
        }
        sql += " ORDER BY id DESC LIMIT \(max(0, limit))"
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map(Self.webhookDelivery)
    }

    public func webhookDelivery(id: String) async throws -> WebhookDeliveryRecord? {
        try await row("SELECT \(unescaped: Self.deliveryColumns) FROM webhook_deliveries WHERE id = \(id)").map(Self.webhookDelivery)
    }

    public func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord] {
        try await rows(
            """
            SELECT delivery_id, number, started_at, latency_ms, status_code, error FROM webhook_attempts
            WHERE delivery_id = \(deliveryID) ORDER BY started_at, seq
            """
        ).map { r in
            let number: Int64 = try r("number")
            let code: Int64? = try r("status_code")
            return WebhookAttemptRecord(
                deliveryID: try r("delivery_id"), number: Int(number), startedAt: try r("started_at"),
                latencyMs: try r("latency_ms"), statusCode: code.map { Int($0) }, error: try r("error"))
        }
    }

    public func redeliverWebhookDeliveries(endpointID: String, deliveryID: String?, nowMs: Int64) async throws -> Int {
        if let deliveryID {
            // One delivery: failed, or delivered (sent again on request).
            return try await execute(
                """
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = \(nowMs), queued_at = \(nowMs), lease_token = NULL
                WHERE endpoint_id = \(endpointID) AND id = \(deliveryID) AND status != 'pending'
                """)
        }
        return try await execute(
            """
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = \(nowMs), queued_at = \(nowMs), lease_token = NULL
            WHERE endpoint_id = \(endpointID) AND status = 'failed'
            """)
    }

    public func webhookDeliveryCounts(endpointID: String) async throws -> [WebhookDeliveryStatus: Int] {
        var counts: [WebhookDeliveryStatus: Int] = [:]
        for r in try await rows(
            "SELECT status, count(*) AS n FROM webhook_deliveries WHERE endpoint_id = \(endpointID) GROUP BY status")
        {
            let n: Int64 = try r("n")
            if let s = WebhookDeliveryStatus(rawValue: try r("status")) { counts[s] = Int(n) }
        }
        return counts
    }

    static func webhookDelivery(_ r: Row) throws -> WebhookDeliveryRecord {
        let attempts: Int64 = try r("attempts")
        let code: Int64? = try r("last_status_code")
        return WebhookDeliveryRecord(
            id: try r("id"), endpointID: try r("endpoint_id"), eventID: try r("event_id"),
            status: WebhookDeliveryStatus(rawValue: try r("status")) ?? .pending, attempts: Int(attempts),
            queuedAt: try r("queued_at"), nextAttemptAt: try r("next_attempt_at"), lastAttemptAt: try r("last_attempt_at"),
            lastStatusCode: code.map { Int($0) }, lastError: try r("last_error"), deliveredAt: try r("delivered_at"))
    }
}
