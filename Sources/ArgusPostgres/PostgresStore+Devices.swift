import ArgusCore
import ArgusStorage
import PostgresNIO

/// Device API storage (`DeviceStore`): the `devices` table that the `events_device` trigger
/// keeps up to date in each event's transaction.
extension PostgresStore {
    static let deviceColumns = "environment_id, id, created_at, last_seen_at, last_submitted_at, score, flags, country, city"

    static func device(_ r: Row) throws -> DeviceRecord {
        let score: Int64 = try r("score")
        return DeviceRecord(
            environmentID: try r("environment_id"), id: try r("id"), createdAt: try r("created_at"),
            lastSeenAt: try r("last_seen_at"), lastSubmittedAt: try r("last_submitted_at"),
            risk: RiskSummary(score: Int(score), storedFlags: try r("flags")), country: try r("country"), city: try r("city"))
    }

    public func device(id: String, environmentID: String?) async throws -> DeviceRecord? {
        if let environmentID {
            return try await row(
                "SELECT \(unescaped: Self.deviceColumns) FROM devices WHERE environment_id = \(environmentID) AND id = \(id)"
            ).map(Self.device)
        }
        // A workspace key: one primary-key lookup per environment (the id alone is not indexed).
        return try await row(
            """
            SELECT \(unescaped: Self.deviceColumns) FROM devices WHERE environment_id IN (SELECT id FROM environments) AND id = \(id)
            ORDER BY last_seen_at DESC LIMIT 1
            """
        ).map(Self.device)
    }

    /// The SQL of a device query: filters, keyset condition, order (environment, sort column, id),
    /// all ascending or all descending, as in SQLite.
    static func deviceQuery(_ q: DeviceQuery) -> PostgresQuery {
        var binds = PostgresBindings()
        func bind<T: PostgresDynamicTypeEncodable>(_ v: T) -> String {
            binds.append(v)
            return "$\(binds.count)"
        }
        var conditions: [String] = []
        if let env = q.environmentID { conditions.append("environment_id = \(bind(env))") }
        if !q.levels.isEmpty {
            conditions.append(
                "("
                    + q.levels.map {
                        "score BETWEEN \(bind(Int64($0.scoreRange.lowerBound))) AND \(bind(Int64($0.scoreRange.upperBound)))"
                    }.joined(separator: " OR ") + ")")
        }
        if let pattern = q.flagPattern { conditions.append("flags LIKE \(bind(pattern)) ESCAPE '\\'") }
        if let country = q.country { conditions.append("country = \(bind(country))") }
        if let since = q.seenSince { conditions.append("last_seen_at >= \(bind(since))") }
        if let until = q.seenUntil { conditions.append("last_seen_at <= \(bind(until))") }
        let column = q.sort == .score ? "score" : "last_seen_at"
        let dir = q.descending ? "DESC" : "ASC"
        let op = q.descending ? "<" : ">"
        if let c = q.after {
            if q.environmentID != nil {
                conditions.append("(\(column), id) \(op) (\(bind(c.value)), \(bind(c.id)))")
            } else {
                conditions.append("(environment_id, \(column), id) \(op) (\(bind(c.environmentID)), \(bind(c.value)), \(bind(c.id)))")
            }
        }
        let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let order = q.environmentID != nil ? "\(column) \(dir), id \(dir)" : "environment_id \(dir), \(column) \(dir), id \(dir)"
        return PostgresQuery(
            unsafeSQL: "SELECT \(deviceColumns) FROM devices \(whereSQL) ORDER BY \(order) LIMIT \(max(0, q.limit))", binds: binds)
    }

    public func devices(_ q: DeviceQuery) async throws -> [DeviceRecord] {
        try await rows(Self.deviceQuery(q)).map(Self.device)
    }

    public func purgeEvents(environmentID: String, before: Int64, limit: Int) async throws -> Int {
        try await execute(
            """
            DELETE FROM events WHERE id IN
              (SELECT id FROM events WHERE environment_id = \(environmentID) AND timestamp < \(before) LIMIT \(max(0, limit)))
            """)
    }

    public func expiredDevices(environmentID: String, before: Int64, limit: Int) async throws -> [String] {
        try await rows(
            """
            SELECT id FROM devices WHERE environment_id = \(environmentID) AND last_seen_at < \(before)
            ORDER BY last_seen_at LIMIT \(max(0, limit))
            """
        ).map { try $0("id") }
    }

    /// One transaction. A device seen again since it was listed (its row updated by an event's
    /// transaction, which this one waits for) is kept.
    public func purgeDevices(ids: [String], environmentID: String, before: Int64) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let sorted = Array(Set(ids)).sorted()
        return try await transaction { c, logger in
            let gone = try await Self.rows(
                c,
                """
                DELETE FROM devices WHERE environment_id = \(environmentID) AND id = ANY(\(sorted)) AND last_seen_at < \(before)
                RETURNING id
                """, logger: logger
            ).map { try $0("id", as: String.self) }
            guard !gone.isEmpty else { return 0 }
            try await Self.execute(
                c, "DELETE FROM events WHERE environment_id = \(environmentID) AND visitor_id = ANY(\(gone))", logger: logger)
            try await Self.execute(
                c, "DELETE FROM visitors WHERE environment_id = \(environmentID) AND id = ANY(\(gone))", logger: logger)
            return gone.count
        }
    }
}
