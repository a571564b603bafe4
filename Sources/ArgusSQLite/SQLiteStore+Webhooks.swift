import ArgusCore
import ArgusStorage
import Foundation
import GRDB

/// Webhook endpoints, outbox and delivery log (see `WebhookStore`).
extension SQLiteStore {
    // MARK: outbox, inside the event's transaction

    /// Queues one delivery per enabled endpoint of the event's environment whose
    /// filter matches; called by the event writer inside the event's transaction.
    static func enqueueWebhookDeliveries(_ db: Database, event e: StoredEvent) throws {
        let endpoints = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT id, filter FROM webhook_endpoints WHERE environment_id = ? AND enabled = 1"),
            arguments: [e.environmentID])
        guard !endpoints.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, queued_at, next_attempt_at)
                VALUES (?, ?, ?, 'pending', 0, ?, ?)
                """)
        for endpoint in e.endpoints(wanting: endpoints.map { (id: $0["id"], filter: WebhookFilter(stored: $0["filter"])) }) {
            try insert.execute(arguments: [WebhookDeliveryRecord.newID(createdAtMs: e.timestamp), endpoint, e.id, e.timestamp, e.timestamp])
        }
    }

    // MARK: endpoints

    public func createWebhook(_ w: WebhookEndpointRecord) async throws {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO webhook_endpoints (id, environment_id, url, basic_auth_user, sealed_password, sealed_secret,
                          enabled, filter, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        w.id, w.environmentID, w.url, w.basicAuthUser, w.sealedPassword.map { Data($0) }, Data(w.sealedSecret),
                        w.enabled, JSONWriter.string(w.filter.json), w.createdAt,
                    ])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.conflict("webhook '\(w.id)' exists")
        }
    }

    public func webhook(id: String) async throws -> WebhookEndpointRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM webhook_endpoints WHERE id = ?", arguments: [id]).map(Self.webhookEndpoint)
        }
    }

    public func webhooks(environmentID: String) async throws -> [WebhookEndpointRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_endpoints WHERE environment_id = ? ORDER BY created_at, id", arguments: [environmentID]
            ).map(Self.webhookEndpoint)
        }
    }

    public func updateWebhook(_ w: WebhookEndpointRecord) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_endpoints SET url = ?, basic_auth_user = ?, sealed_password = ?, enabled = ?, filter = ?
                    WHERE id = ?
                    """,
                arguments: [
                    w.url, w.basicAuthUser, w.sealedPassword.map { Data($0) }, w.enabled, JSONWriter.string(w.filter.json), w.id,
                ])
            return db.changesCount > 0
        }
    }

    public func deleteWebhook(id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)",
                arguments: [id])
            try db.execute(sql: "DELETE FROM webhook_deliveries WHERE endpoint_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM webhook_endpoints WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    static func webhookEndpoint(_ row: Row) -> WebhookEndpointRecord {
        WebhookEndpointRecord(
            id: row["id"], environmentID: row["environment_id"], url: row["url"], basicAuthUser: row["basic_auth_user"],
            sealedPassword: (row["sealed_password"] as Data?).map(Array.init), sealedSecret: Array(row["sealed_secret"] as Data),
            enabled: row["enabled"], filter: WebhookFilter(stored: row["filter"]), createdAt: row["created_at"])
    }

    // MARK: claims and completions

    public func claimWebhookDeliveries(nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [ClaimedWebhookDelivery] {
        guard limit > 0 else { return [] }
        // A read first: an idle poll does not take the write lock that identify needs.
        let due = try await pool.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?)",
                arguments: [nowMs]) ?? false
        }
        guard due else { return [] }
        let token = Identifiers.randomBase62(16)
        return try await pool.write { db in
            // One statement picks and leases: the database's write lock makes a claim exclusive across processes.
            // While leased, next_attempt_at is the lease's end, so a claim whose holder died comes due again by itself.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE webhook_deliveries SET lease_token = ?, next_attempt_at = ?
                    WHERE id IN (
                      SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
                      WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.enabled = 1
                      ORDER BY d.next_attempt_at LIMIT ?)
                    RETURNING *
                    """,
                arguments: [token, nowMs + leaseMs, nowMs, limit])
            var endpoints: [String: WebhookEndpointRecord] = [:]
            var claimed: [ClaimedWebhookDelivery] = []
            for row in rows {
                let delivery = Self.webhookDelivery(row)
                guard
                    let document = try Data.fetchOne(
                        db.cachedStatement(sql: "SELECT document FROM events WHERE id = ?"), arguments: [delivery.eventID])
                else {
                    // The event was erased: nothing left to deliver.
                    try db.execute(sql: "DELETE FROM webhook_deliveries WHERE id = ?", arguments: [delivery.id])
                    continue
                }
                if endpoints[delivery.endpointID] == nil {
                    endpoints[delivery.endpointID] = try Row.fetchOne(
                        db, sql: "SELECT * FROM webhook_endpoints WHERE id = ?", arguments: [delivery.endpointID]
                    ).map(Self.webhookEndpoint)
                }
                guard let endpoint = endpoints[delivery.endpointID] else { continue }
                claimed.append(
                    ClaimedWebhookDelivery(delivery: delivery, endpoint: endpoint, document: Array(document), leaseToken: token))
            }
            return claimed
        }
    }

    public func completeWebhookDelivery(_ c: WebhookCompletion) async throws -> Bool {
        try await completeWebhookDeliveries([c]).first ?? false
    }

    public func completeWebhookDeliveries(_ completions: [WebhookCompletion]) async throws -> [Bool] {
        guard !completions.isEmpty else { return [] }
        return try await pool.write { db in
            let log = try db.cachedStatement(
                sql: """
                    INSERT INTO webhook_attempts (delivery_id, number, started_at, latency_ms, status_code, error)
                    SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = ?)
                    """)
            let update = try db.cachedStatement(
                sql: """
                    UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_token = NULL,
                      last_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?
                    WHERE id = ? AND lease_token = ? AND status = 'pending'
                    """)
            var kept: [Bool] = []
            for c in completions {
                let a = c.attempt
                // The attempt happened, lease or not: it is logged either way (unless the endpoint was deleted meanwhile).
                try log.execute(arguments: [c.deliveryID, a.number, a.startedAt, a.latencyMs, a.statusCode, a.error, c.deliveryID])
                let (status, next, deliveredAt) = c.resultingState
                try update.execute(arguments: [
                    status.rawValue, next, a.startedAt, a.statusCode, a.error, deliveredAt, c.deliveryID, c.leaseToken,
                ])
                kept.append(db.changesCount > 0)
            }
            return kept
        }
    }

    // MARK: the log

    public func webhookDeliveries(endpointID: String, status: WebhookDeliveryStatus?, limit: Int, before: String?) async throws
        -> [WebhookDeliveryRecord]
    {
        var sql = "SELECT * FROM webhook_deliveries WHERE endpoint_id = ?"
        var args: [(any DatabaseValueConvertible)?] = [endpointID]
        if let status {
            sql += " AND status = ?"
            args.append(status.rawValue)
        }
        if let before {
            sql += " AND id < ?"
            args.append(before)
        }
        sql += " ORDER BY id DESC LIMIT \(max(0, limit))"
        let arguments = StatementArguments(args)
        let query = sql
        return try await pool.read { db in try Row.fetchAll(db, sql: query, arguments: arguments).map(Self.webhookDelivery) }
    }

    public func webhookDelivery(id: String) async throws -> WebhookDeliveryRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM webhook_deliveries WHERE id = ?", arguments: [id]).map(Self.webhookDelivery)
        }
    }

    public func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY started_at, rowid", arguments: [deliveryID]
            ).map { row in
                WebhookAttemptRecord(
                    deliveryID: row["delivery_id"], number: row["number"], startedAt: row["started_at"],
                    latencyMs: row["latency_ms"], statusCode: row["status_code"], error: row["error"])
            }
        }
    }

    public func redeliverWebhookDeliveries(endpointID: String, deliveryID: String?, nowMs: Int64) async throws -> Int {
        try await pool.write { db in
            let set = "SET status = 'pending', next_attempt_at = ?, queued_at = ?, lease_token = NULL"
            if let deliveryID {
                // One delivery: failed, or delivered (sent again on request).
                try db.execute(
                    sql: "UPDATE webhook_deliveries \(set) WHERE endpoint_id = ? AND id = ? AND status != 'pending'",
                    arguments: [nowMs, nowMs, endpointID, deliveryID])
            } else {
                try db.execute(
                    sql: "UPDATE webhook_deliveries \(set) WHERE endpoint_id = ? AND status = 'failed'",
                    arguments: [nowMs, nowMs, endpointID])
            }
            return db.changesCount
        }
    }

    public func webhookDeliveryCounts(endpointID: String) async throws -> [WebhookDeliveryStatus: Int] {
        try await pool.read { db in
            var counts: [WebhookDeliveryStatus: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT status, count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? GROUP BY status",
                arguments: [endpointID])
            {
                if let s = WebhookDeliveryStatus(rawValue: row["status"]) { counts[s] = row["n"] }
            }
            return counts
        }
    }

    static func webhookDelivery(_ row: Row) -> WebhookDeliveryRecord {
        WebhookDeliveryRecord(
            id: row["id"], endpointID: row["endpoint_id"], eventID: row["event_id"],
            status: WebhookDeliveryStatus(rawValue: row["status"]) ?? .pending, attempts: row["attempts"],
            queuedAt: row["queued_at"], nextAttemptAt: row["next_attempt_at"], lastAttemptAt: row["last_attempt_at"],
            lastStatusCode: row["last_status_code"], lastError: row["last_error"], deliveredAt: row["delivered_at"])
    }

    /// Drops the undelivered outbox rows of a visitor's events (erasure); runs in the erasing transaction.
    static func dropWebhookDeliveries(_ db: Database, environmentID: String, visitorID: String) throws {
        try db.execute(
            sql: """
                DELETE FROM webhook_deliveries WHERE status != 'delivered' AND event_id IN
                  (SELECT id FROM events WHERE environment_id = ? AND visitor_id = ?)
                """,
            arguments: [environmentID, visitorID])
    }
}
