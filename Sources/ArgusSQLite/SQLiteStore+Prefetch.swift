import ArgusCore
import ArgusStorage
import Foundation
import GRDB

extension SQLiteStore {
    public func insertPrefetch(_ t: PrefetchTask) async throws -> (task: PrefetchTask, created: Bool) {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO prefetch_tasks (request_id, environment_id, subscriber_id, session_id, user_id, status, attempts,
                      last_error, created_at, updated_at, next_attempt_at, fetched_at, result)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(request_id) DO NOTHING
                    """,
                arguments: [
                    t.requestID, t.environmentID, t.subscriberID, t.sessionID, t.userID, t.status.rawValue, t.attempts, t.lastError,
                    t.createdAt, t.updatedAt, t.nextAttemptAt, t.fetchedAt, t.result.map { Data($0) },
                ])
            let created = db.changesCount > 0
            let row = try Row.fetchOne(db, sql: "SELECT * FROM prefetch_tasks WHERE request_id = ?", arguments: [t.requestID])
            return (row.map(Self.prefetchTask) ?? t, created)
        }
    }

    public func prefetch(requestID: String) async throws -> PrefetchTask? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM prefetch_tasks WHERE request_id = ?", arguments: [requestID]).map(Self.prefetchTask)
        }
    }

    public func claimDuePrefetches(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [PrefetchTask] {
        // The worker asks every 100 ms: a read answers the usual "nothing due" without taking the write lock.
        let due = try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM prefetch_tasks WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?)",
                arguments: [now, now]) ?? false
        }
        guard due else { return [] }
        return try await pool.write { db in
            try Row.fetchAll(
                db,
                sql: """
                    UPDATE prefetch_tasks SET lease_until = ?
                    WHERE request_id IN (
                      SELECT request_id FROM prefetch_tasks
                      WHERE status = 'pending' AND next_attempt_at <= ? AND lease_until <= ?
                      ORDER BY next_attempt_at LIMIT ?)
                    RETURNING *
                    """,
                arguments: [leaseUntil, now, now, limit]
            ).map(Self.prefetchTask)
        }
    }

    public func updatePrefetch(_ t: PrefetchTask) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE prefetch_tasks SET status = ?, attempts = ?, last_error = ?, updated_at = ?, next_attempt_at = ?,
                      lease_until = 0, fetched_at = ?, result = ?
                    WHERE request_id = ?
                    """,
                arguments: [
                    t.status.rawValue, t.attempts, t.lastError, t.updatedAt, t.nextAttemptAt, t.fetchedAt, t.result.map { Data($0) },
                    t.requestID,
                ])
        }
    }

    public func latestPrefetch(environmentID: String?, sessionID: String?, userID: String?) async throws -> PrefetchTask? {
        try await pool.read { db in
            for (column, value) in [("session_id", sessionID), ("user_id", userID)] {
                guard let value else { continue }
                var sql = "SELECT * FROM prefetch_tasks WHERE \(column) = ? AND status = 'done'"
                var arguments: StatementArguments = [value]
                if let environmentID {
                    sql += " AND environment_id = ?"
                    arguments += [environmentID]
                }
                sql += " ORDER BY fetched_at DESC LIMIT 1"
                if let row = try Row.fetchOne(db, sql: sql, arguments: arguments) { return Self.prefetchTask(row) }
            }
            return nil
        }
    }

    public func observeBIN(_ bin: String, subjects: [String], at: Int64, since: [Int64]) async throws -> [[Int]] {
        guard !subjects.isEmpty else { return [] }
        let oldest = since.min() ?? at
        return try await pool.write { db in
            var counts: [[Int]] = []
            for subject in subjects {
                try db.execute(
                    sql: """
                        INSERT INTO bin_observations (subject, bin, last_seen_at) VALUES (?, ?, ?)
                        ON CONFLICT(subject, bin) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at)
                        """,
                    arguments: [subject, bin, at])
                try db.execute(
                    sql: "DELETE FROM bin_observations WHERE subject = ? AND last_seen_at < ?", arguments: [subject, oldest])
                var row: [Int] = []
                for s in since {
                    row.append(
                        try Int.fetchOne(
                            db, sql: "SELECT count(*) FROM bin_observations WHERE subject = ? AND last_seen_at >= ?",
                            arguments: [subject, s]) ?? 0)
                }
                counts.append(row)
            }
            return counts
        }
    }

    static func prefetchTask(_ row: Row) -> PrefetchTask {
        PrefetchTask(
            requestID: row["request_id"], environmentID: row["environment_id"], subscriberID: row["subscriber_id"],
            sessionID: row["session_id"], userID: row["user_id"],
            status: PrefetchTask.Status(rawValue: row["status"]) ?? .pending, attempts: row["attempts"],
            lastError: row["last_error"], createdAt: row["created_at"], updatedAt: row["updated_at"],
            nextAttemptAt: row["next_attempt_at"], fetchedAt: row["fetched_at"],
            result: (row["result"] as Data?).map { Array($0) })
    }
}
