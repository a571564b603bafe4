import ArgusCore
import ArgusStorage
import Logging
import NIOCore
import PostgresNIO

/// Events and visitors: the grouped event writer, reads, searches, updates and erasure.
extension PostgresStore {
    /// Commits are grouped as in SQLite: events that arrive while a transaction is being written go
    /// together into the next one (one write-ahead log flush for all of them). Each caller returns
    /// only after its own event is committed.
    public func recordEvent(_ e: StoredEvent, visitor v: VisitorRecord, joined: VisitorRecord?) async throws {
        var e = e
        e.components = StoredComponents.encode(e.components)
        try await eventWriter.submit((e, v, joined))
    }

    /// One transaction for a batch, in a fixed number of statements whatever its size: the
    /// endpoints that may want the events, the events (the device trigger runs per row), the
    /// visitor writes in rounds (a round holds each visitor at most once, in the batch's order,
    /// so a visitor written twice in a batch ends as SQLite's one-by-one writes leave it), then
    /// the outbox rows. A deadlock with another instance's batch is retried.
    static func writeEvents(_ batch: [(StoredEvent, VisitorRecord, VisitorRecord?)], client: PostgresClient, logger: Logger)
        async throws
    {
        var attempt = 0
        while true {
            do {
                try await transaction(client: client, logger: logger) { c, logger in
                    try await writeEvents(batch, on: c, logger: logger)
                }
                return
            } catch where attempt < 3 && ["40P01", "40001"].contains(sqlState(error) ?? "") {
                attempt += 1
            }
        }
    }

    static func writeEvents(_ batch: [(StoredEvent, VisitorRecord, VisitorRecord?)], on c: PostgresConnection, logger: Logger)
        async throws
    {
        // Rows are locked in a stable order (by environment and visitor, then the batch's order)
        // so that two instances' batches do not deadlock on the same devices and visitors.
        let ordered = batch.enumerated().sorted { a, b in
            let ka = (a.element.0.environmentID, a.element.0.visitorID)
            let kb = (b.element.0.environmentID, b.element.0.visitorID)
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)

        // Endpoints first, share-locked: deleting one waits for this transaction, so that no
        // outbox row outlives its endpoint.
        let environments = Array(Set(batch.map(\.0.environmentID))).sorted()
        let endpointRows = try await rows(
            c,
            """
            SELECT id, environment_id, filter FROM webhook_endpoints WHERE environment_id = ANY(\(environments)) AND enabled
            ORDER BY id FOR KEY SHARE
            """, logger: logger)

        let events = ordered.map(\.0)
        try await execute(
            c,
            """
            INSERT INTO events (id, environment_id, visitor_id, timestamp, linked_id, ip_address, suspect, document, components,
              risk_score, risk_flags, country, city)
            SELECT id, env, vid, ts, CASE WHEN has_linked THEN linked END, ip, suspect, doc, comp, score, flags,
              CASE WHEN has_country THEN country END, CASE WHEN has_city THEN city END
            FROM unnest(\(events.map(\.id))::text[], \(events.map(\.environmentID))::text[], \(events.map(\.visitorID))::text[],
              \(events.map(\.timestamp))::int8[], \(events.map { $0.linkedID ?? "" })::text[], \(events.map { $0.linkedID != nil })::bool[],
              \(events.map(\.ipAddress))::text[], \(events.map(\.suspect))::bool[],
              \(events.map { ByteBuffer(bytes: $0.document) })::bytea[], \(events.map { ByteBuffer(bytes: $0.components) })::bytea[],
              \(events.map { Int64($0.risk.score) })::int8[], \(events.map(\.risk.storedFlags))::text[],
              \(events.map { $0.country ?? "" })::text[], \(events.map { $0.country != nil })::bool[],
              \(events.map { $0.city ?? "" })::text[], \(events.map { $0.city != nil })::bool[])
              AS u(id, env, vid, ts, linked, has_linked, ip, suspect, doc, comp, score, flags, country, has_country, city, has_city)
            """, logger: logger)

        // Visitor writes, each visitor's in the batch's order: (joined profile update | upsert).
        enum Write { case upsert(VisitorRecord), joined(VisitorRecord) }
        var perVisitor: [String: [Write]] = [:]
        var keys: [String] = []
        for (_, v, joined) in batch {
            for w in [joined.map(Write.joined), Write.upsert(v)].compactMap({ $0 }) {
                let record: VisitorRecord
                switch w {
                case .upsert(let r), .joined(let r): record = r
                }
                let key = record.environmentID + "\u{1}" + record.id
                if perVisitor[key] == nil { keys.append(key) }
                perVisitor[key, default: []].append(w)
            }
        }
        keys.sort()
        var round = 0
        while true {
            var upserts: [VisitorRecord] = []
            var joins: [VisitorRecord] = []
            for key in keys {
                guard let writes = perVisitor[key], round < writes.count else { continue }
                switch writes[round] {
                case .upsert(let v): upserts.append(v)
                case .joined(let j): joins.append(j)
                }
            }
            if upserts.isEmpty && joins.isEmpty { break }
            if !joins.isEmpty {
                try await execute(
                    c,
                    """
                    UPDATE visitors AS v SET profile = u.p, changed_xid = pg_current_xact_id()::text::bigint
                    FROM unnest(\(joins.map(\.environmentID))::text[], \(joins.map(\.id))::text[],
                      \(joins.map { ByteBuffer(bytes: $0.profile) })::bytea[]) AS u(env, id, p)
                    WHERE v.environment_id = u.env AND v.id = u.id
                    """, logger: logger)
            }
            if !upserts.isEmpty {
                try await execute(
                    c,
                    """
                    INSERT INTO visitors AS v (environment_id, id, first_seen_at, last_seen_at, event_count, profile, changed_xid)
                    SELECT env, id, f, l, n, p, pg_current_xact_id()::text::bigint
                    FROM unnest(\(upserts.map(\.environmentID))::text[], \(upserts.map(\.id))::text[],
                      \(upserts.map(\.firstSeenAt))::int8[], \(upserts.map(\.lastSeenAt))::int8[], \(upserts.map(\.eventCount))::int8[],
                      \(upserts.map { ByteBuffer(bytes: $0.profile) })::bytea[]) AS u(env, id, f, l, n, p)
                    ON CONFLICT (environment_id, id) DO UPDATE SET
                      first_seen_at = least(v.first_seen_at, excluded.first_seen_at),
                      last_seen_at = greatest(v.last_seen_at, excluded.last_seen_at),
                      event_count = v.event_count + 1,
                      profile = excluded.profile,
                      changed_xid = excluded.changed_xid
                    """, logger: logger)
            }
            round += 1
        }

        // The outbox rows commit with their events.
        guard !endpointRows.isEmpty else { return }
        var byEnvironment: [String: [(id: String, filter: WebhookFilter)]] = [:]
        for r in endpointRows {
            byEnvironment[try r("environment_id"), default: []].append((try r("id"), WebhookFilter(stored: try r("filter"))))
        }
        var ids: [String] = []
        var endpoints: [String] = []
        var eventIDs: [String] = []
        var times: [Int64] = []
        for e in batch.map(\.0) {
            guard let candidates = byEnvironment[e.environmentID] else { continue }
            for endpoint in e.endpoints(wanting: candidates) {
                ids.append(WebhookDeliveryRecord.newID(createdAtMs: e.timestamp))
                endpoints.append(endpoint)
                eventIDs.append(e.id)
                times.append(e.timestamp)
            }
        }
        guard !ids.isEmpty else { return }
        try await execute(
            c,
            """
            INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, queued_at, next_attempt_at)
            SELECT id, endpoint, event, 'pending', 0, t, t
            FROM unnest(\(ids)::text[], \(endpoints)::text[], \(eventIDs)::text[], \(times)::int8[]) AS u(id, endpoint, event, t)
            """, logger: logger)
    }

    // MARK: reads

    static let eventColumns =
        "id, environment_id, visitor_id, timestamp, linked_id, ip_address, suspect, document, components, risk_score, risk_flags, country, city"

    public func event(id: String, environmentID: String?) async throws -> StoredEvent? {
        if let environmentID {
            return try await row(
                "SELECT \(unescaped: Self.eventColumns) FROM events WHERE id = \(id) AND environment_id = \(environmentID)"
            ).map(Self.event)
        }
        return try await row("SELECT \(unescaped: Self.eventColumns) FROM events WHERE id = \(id)").map(Self.event)
    }

    static func event(_ r: Row) throws -> StoredEvent {
        let score: Int64 = try r("risk_score")
        return StoredEvent(
            id: try r("id"), environmentID: try r("environment_id"), visitorID: try r("visitor_id"), timestamp: try r("timestamp"),
            linkedID: try r("linked_id"), ipAddress: try r("ip_address"), suspect: try r("suspect"),
            document: try r.bytes("document"), components: StoredComponents.decode(try r.bytes("components")),
            risk: RiskSummary(score: Int(score), storedFlags: try r("risk_flags")), country: try r("country"), city: try r("city"))
    }

    static let visitorColumns = "environment_id, id, first_seen_at, last_seen_at, event_count, profile"

    public func visitor(id: String, environmentID: String) async throws -> VisitorRecord? {
        try await row(
            "SELECT \(unescaped: Self.visitorColumns) FROM visitors WHERE environment_id = \(environmentID) AND id = \(id)"
        ).map(Self.visitor)
    }

    static func visitor(_ r: Row) throws -> VisitorRecord {
        VisitorRecord(
            environmentID: try r("environment_id"), id: try r("id"), firstSeenAt: try r("first_seen_at"),
            lastSeenAt: try r("last_seen_at"), eventCount: try r("event_count"), profile: try r.bytes("profile"))
    }

    public func visitors(environmentID: String) async throws -> [VisitorRecord] {
        try await rows("SELECT \(unescaped: Self.visitorColumns) FROM visitors WHERE environment_id = \(environmentID)")
            .map(Self.visitor)
    }

    public func eventCount(environmentID: String?) async throws -> Int {
        let r: Row?
        if let environmentID {
            r = try await row("SELECT count(*) AS n FROM events WHERE environment_id = \(environmentID)")
        } else {
            r = try await row("SELECT count(*) AS n FROM events")
        }
        return Int(try r?("n", as: Int64.self) ?? 0)
    }

    // MARK: search

    /// The WHERE clause of an event query, with `$n` placeholders bound in `binds`.
    static func whereClause(_ q: EventQuery, withCursor: Bool, binds: inout PostgresBindings) -> String {
        func bind<T: PostgresDynamicTypeEncodable>(_ v: T) -> String {
            binds.append(v)
            return "$\(binds.count)"
        }
        var sql = ["timestamp >= \(bind(q.start))", "timestamp <= \(bind(q.end))"]
        if let v = q.environmentID { sql.append("environment_id = \(bind(v))") }
        if let v = q.visitorID { sql.append("visitor_id = \(bind(v))") }
        if let v = q.linkedID { sql.append("linked_id = \(bind(v))") }
        if let v = q.ipAddress { sql.append("ip_address = \(bind(v))") }
        if let v = q.suspect { sql.append("suspect = \(bind(v))") }
        for f in q.signals {
            // Keys are our own field names (letters and underscores), checked before they reach the path.
            guard !f.oneOf.isEmpty, f.path.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 == 0x5F || (0x61...0x7A).contains($0) } })
            else {
                sql.append("false")
                continue
            }
            // The document is JSON text stored as bytes: read it as jsonb.
            let value = "(convert_from(document, 'UTF8')::jsonb #> \(bind(f.path))::text[])"
            var alternatives: [String] = []
            for v in f.oneOf {
                switch v {
                case .bool(let b):
                    alternatives.append("(jsonb_typeof(\(value)) = 'boolean' AND \(value) = \(bind(b ? "true" : "false"))::jsonb)")
                case .string(let text):
                    alternatives.append("(jsonb_typeof(\(value)) = 'string' AND \(value) #>> '{}' = \(bind(text)))")
                case .atLeast(let n):
                    alternatives.append(
                        "(CASE WHEN jsonb_typeof(\(value)) = 'number' THEN (\(value) #>> '{}')::float8 >= \(bind(n)) ELSE false END)")
                }
            }
            sql.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        if withCursor, let c = q.after {
            let op = q.reverse ? ">" : "<"
            sql.append("(timestamp, id) \(op) (\(bind(c.timestamp)), \(bind(c.id)))")
        }
        return sql.joined(separator: " AND ")
    }

    public func searchEvents(_ q: EventQuery) async throws -> [StoredEvent] {
        var binds = PostgresBindings()
        let clause = Self.whereClause(q, withCursor: true, binds: &binds)
        let order = q.reverse ? "ASC" : "DESC"
        return try await rows(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.eventColumns) FROM events WHERE \(clause) ORDER BY timestamp \(order), id \(order) LIMIT \(max(0, q.limit))
                    """, binds: binds)
        ).map(Self.event)
    }

    public func countEvents(_ q: EventQuery, cap: Int) async throws -> Int {
        var binds = PostgresBindings()
        let clause = Self.whereClause(q, withCursor: false, binds: &binds)
        let r = try await row(
            PostgresQuery(
                unsafeSQL: "SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE \(clause) LIMIT \(max(0, cap))) AS capped",
                binds: binds))
        return Int(try r?("n", as: Int64.self) ?? 0)
    }

    // MARK: changes

    public func updateEvent(id: String, environmentID: String?, document: [UInt8], linkedID: String?, suspect: Bool) async throws
        -> Bool
    {
        let doc = ByteBuffer(bytes: document)
        if let environmentID {
            return try await execute(
                """
                UPDATE events SET document = \(doc), linked_id = \(linkedID), suspect = \(suspect)
                WHERE id = \(id) AND environment_id = \(environmentID)
                """) > 0
        }
        return try await execute(
            "UPDATE events SET document = \(doc), linked_id = \(linkedID), suspect = \(suspect) WHERE id = \(id)") > 0
    }

    /// One transaction. The visitor rows go first: their row locks make a concurrent write of the
    /// same visitor either finish before (and its event is erased too) or wait and come after.
    public func deleteVisitors(ids: [String], environmentID: String) async throws -> Int? {
        guard !ids.isEmpty else { return nil }
        let sorted = Array(Set(ids)).sorted()
        return try await transaction { c, logger in
            let visitors = try await Self.execute(
                c, "DELETE FROM visitors WHERE environment_id = \(environmentID) AND id = ANY(\(sorted))", logger: logger)
            try await Self.execute(
                c,
                """
                DELETE FROM webhook_deliveries WHERE status != 'delivered' AND event_id IN
                  (SELECT id FROM events WHERE environment_id = \(environmentID) AND visitor_id = ANY(\(sorted)))
                """, logger: logger)
            let events = try await Self.execute(
                c, "DELETE FROM events WHERE environment_id = \(environmentID) AND visitor_id = ANY(\(sorted))", logger: logger)
            return events + visitors > 0 ? events : nil
        }
    }

    // MARK: development tools

    /// Writes visitor rows in transactions of `batch` (benchmarks that start from a large population).
    /// An existing visitor is replaced.
    public func seedVisitors(_ visitors: [VisitorRecord], batch: Int = 5_000) async throws {
        var start = 0
        while start < visitors.count {
            let slice = Array(visitors[start..<min(visitors.count, start + batch)])
            try await execute(
                """
                INSERT INTO visitors AS v (environment_id, id, first_seen_at, last_seen_at, event_count, profile)
                SELECT * FROM unnest(\(slice.map(\.environmentID))::text[], \(slice.map(\.id))::text[],
                  \(slice.map(\.firstSeenAt))::int8[], \(slice.map(\.lastSeenAt))::int8[], \(slice.map(\.eventCount))::int8[],
                  \(slice.map { ByteBuffer(bytes: $0.profile) })::bytea[])
                ON CONFLICT (environment_id, id) DO UPDATE SET first_seen_at = excluded.first_seen_at,
                  last_seen_at = excluded.last_seen_at, event_count = excluded.event_count, profile = excluded.profile,
                  changed_xid = pg_current_xact_id()::text::bigint
                """)
            start += batch
        }
    }

    /// Bytes of the store's tables with their indexes and TOAST in its schema (benchmarks).
    public func schemaBytes() async throws -> Int64 {
        let r = try await row(
            """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c
            JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relkind = 'r'
            """)
        return try r?("n") ?? 0
    }

    /// Runs raw SQL (development tools only: benchmarks that try a schema variant): statements
    /// separated by `;`, one after the other (none may hold a `;` of its own).
    public func executeRaw(_ sql: String) async throws {
        for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
            try await execute(PostgresQuery(unsafeSQL: String(statement)))
        }
    }
}
