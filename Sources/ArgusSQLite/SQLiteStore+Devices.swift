import ArgusCore
import ArgusStorage
import Foundation
import GRDB

/// Device API storage (`DeviceStore`): the `devices` table that the
/// `events_device` trigger (migration v5_devices) keeps up to date.
extension SQLiteStore {
    static let deviceColumns =
        "environment_id, id, created_at, last_seen_at, last_submitted_at, score, flags, country, city"

    static func device(_ row: Row) -> DeviceRecord {
        DeviceRecord(
            environmentID: row["environment_id"], id: row["id"], createdAt: row["created_at"], lastSeenAt: row["last_seen_at"],
            lastSubmittedAt: row["last_submitted_at"], risk: RiskSummary(score: row["score"], storedFlags: row["flags"]),
            country: row["country"], city: row["city"])
    }

    public func device(id: String, environmentID: String?) async throws -> DeviceRecord? {
        try await pool.read { db in
            if let environmentID {
                return try Row.fetchOne(
                    db, sql: "SELECT \(Self.deviceColumns) FROM devices WHERE environment_id = ? AND id = ?",
                    arguments: [environmentID, id]
                ).map(Self.device)
            }
            // A workspace key: one primary-key lookup per environment (the id alone is not indexed).
            return try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.deviceColumns) FROM devices WHERE environment_id IN (SELECT id FROM environments) AND id = ?
                    ORDER BY last_seen_at DESC LIMIT 1
                    """,
                arguments: [id]
            ).map(Self.device)
        }
    }

    /// The SQL of a device query: filters, keyset condition, order. The order is
    /// (environment, sort column, id), all ascending or all descending, so that an
    /// index (environment_id, column, id) serves it whether or not the environment is fixed.
    static func deviceSQL(_ q: DeviceQuery) -> (String, StatementArguments) {
        var conditions: [String] = []
        var args: [(any DatabaseValueConvertible)?] = []
        if let env = q.environmentID {
            conditions.append("environment_id = ?")
            args.append(env)
        }
        if !q.levels.isEmpty {
            conditions.append("(" + q.levels.map { _ in "score BETWEEN ? AND ?" }.joined(separator: " OR ") + ")")
            for level in q.levels {
                args.append(level.scoreRange.lowerBound)
                args.append(level.scoreRange.upperBound)
            }
        }
        if let pattern = q.flagPattern {
            conditions.append("flags LIKE ? ESCAPE '\\'")
            args.append(pattern)
        }
        if let country = q.country {
            conditions.append("country = ?")
            args.append(country)
        }
        if let since = q.seenSince {
            conditions.append("last_seen_at >= ?")
            args.append(since)
        }
        if let until = q.seenUntil {
            conditions.append("last_seen_at <= ?")
            args.append(until)
        }
        let column = q.sort == .score ? "score" : "last_seen_at"
        let op = q.descending ? "<" : ">"
        let dir = q.descending ? "DESC" : "ASC"
        if let c = q.after {
            if q.environmentID != nil {
                conditions.append("(\(column), id) \(op) (?, ?)")
                args.append(c.value)
                args.append(c.id)
            } else {
                conditions.append("(environment_id, \(column), id) \(op) (?, ?, ?)")
                args.append(c.environmentID)
                args.append(c.value)
                args.append(c.id)
            }
        }
        let whereSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let order =
            q.environmentID != nil ? "\(column) \(dir), id \(dir)" : "environment_id \(dir), \(column) \(dir), id \(dir)"
        let sql = "SELECT \(deviceColumns) FROM devices \(whereSQL) ORDER BY \(order) LIMIT \(max(0, q.limit))"
        return (sql, StatementArguments(args))
    }

    public func devices(_ q: DeviceQuery) async throws -> [DeviceRecord] {
        let (sql, args) = Self.deviceSQL(q)
        return try await pool.read { db in try Row.fetchAll(db, sql: sql, arguments: args).map(Self.device) }
    }

    public func purgeEvents(environmentID: String, before: Int64, limit: Int) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM events WHERE rowid IN
                      (SELECT rowid FROM events WHERE environment_id = ? AND timestamp < ? LIMIT ?)
                    """,
                arguments: [environmentID, before, max(0, limit)])
            return db.changesCount
        }
    }

    public func expiredDevices(environmentID: String, before: Int64, limit: Int) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM devices WHERE environment_id = ? AND last_seen_at < ? ORDER BY last_seen_at LIMIT ?",
                arguments: [environmentID, before, max(0, limit)])
        }
    }

    public func purgeDevices(ids: [String], environmentID: String, before: Int64) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await pool.write { db in
            var purged = 0
            for id in ids {
                // Only if not seen again since it was listed as expired.
                try db.execute(
                    sql: "DELETE FROM devices WHERE environment_id = ? AND id = ? AND last_seen_at < ?",
                    arguments: [environmentID, id, before])
                guard db.changesCount > 0 else { continue }
                purged += 1
                try db.execute(
                    sql: "DELETE FROM events WHERE environment_id = ? AND visitor_id = ?", arguments: [environmentID, id])
                try db.execute(sql: "DELETE FROM visitors WHERE environment_id = ? AND id = ?", arguments: [environmentID, id])
            }
            return purged
        }
    }
}
