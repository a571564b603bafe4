import ArgusCore
import ArgusStorage
import NIOCore
import PostgresNIO

/// Ingest and prefetch tasks and BIN observations (`PrefetchStore`).
extension PostgresStore {
    static let prefetchColumns =
        "request_id, environment_id, subscriber_id, session_id, user_id, status, attempts, last_error, created_at, updated_at, next_attempt_at, fetched_at, result"

    public func insertPrefetch(_ t: PrefetchTask) async throws -> (task: PrefetchTask, created: Bool) {
        let (task, created) = try await transaction { c, logger in
            let inserted = try await Self.execute(
                c,
                """
                INSERT INTO prefetch_tasks (request_id, environment_id, subscriber_id, session_id, user_id, status, attempts,
                  last_error, created_at, updated_at, next_attempt_at, fetched_at, result)
                VALUES (\(t.requestID), \(t.environmentID), \(t.subscriberID), \(t.sessionID), \(t.userID), \(t.status.rawValue),
                  \(Int64(t.attempts)), \(t.lastError), \(t.createdAt), \(t.updatedAt), \(t.nextAttemptAt), \(t.fetchedAt),
                  \(t.result.map { ByteBuffer(bytes: $0) }))
                ON CONFLICT (request_id) DO NOTHING
                """, logger: logger)
            let stored = try await Self.rows(
                c, "SELECT \(unescaped: Self.prefetchColumns) FROM prefetch_tasks WHERE request_id = \(t.requestID)", logger: logger
            ).first.map(Self.prefetchTask)
            return (stored, inserted > 0)
        }
        return (task ?? t, created)
    }

    public func prefetch(requestID: String) async throws -> PrefetchTask? {
        try await row("SELECT \(unescaped: Self.prefetchColumns) FROM prefetch_tasks WHERE request_id = \(requestID)")
            .map(Self.prefetchTask)
    }

    /// `FOR UPDATE SKIP LOCKED`: several instances claiming at once never get the same task.
    public func claimDuePrefetches(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [PrefetchTask] {
        guard limit > 0 else { return [] }
        // The worker asks every 100 ms: a read answers the usual "nothing due" without locking.
        let due = try await row(
            """
            SELECT EXISTS (SELECT 1 FROM prefetch_tasks WHERE status = 'pending' AND next_attempt_at <= \(now)
              AND lease_until <= \(now)) AS due
            """)
        guard try due?("due", as: Bool.self) ?? false else { return [] }
        return try await rows(
            """
            UPDATE prefetch_tasks SET lease_until = \(leaseUntil)
            WHERE request_id IN (
              SELECT request_id FROM prefetch_tasks
              WHERE status = 'pending' AND next_attempt_at <= \(now) AND lease_until <= \(now)
              ORDER BY next_attempt_at LIMIT \(limit)
              FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: Self.prefetchColumns)
            """
        ).map(Self.prefetchTask)
    }

    public func updatePrefetch(_ t: PrefetchTask) async throws {
        try await execute(
            """
            UPDATE prefetch_tasks SET status = \(t.status.rawValue), attempts = \(Int64(t.attempts)), last_error = \(t.lastError),
              updated_at = \(t.updatedAt), next_attempt_at = \(t.nextAttemptAt), lease_until = 0, fetched_at = \(t.fetchedAt),
              result = \(t.result.map { ByteBuffer(bytes: $0) })
            WHERE request_id = \(t.requestID)
            """)
    }

    public func latestPrefetch(environmentID: String?, sessionID: String?, userID: String?) async throws -> PrefetchTask? {
        for (column, value) in [("session_id", sessionID), ("user_id", userID)] {
            guard let value else { continue }
            var binds = PostgresBindings()
            binds.append(value)
            var sql = "SELECT \(Self.prefetchColumns) FROM prefetch_tasks WHERE \(column) = $1 AND status = 'done'"
            if let environmentID {
                binds.append(environmentID)
                sql += " AND environment_id = $2"
            }
            // NULLS LAST: SQLite sorts NULL first ascending, so last descending, as here.
            sql += " ORDER BY fetched_at DESC NULLS LAST LIMIT 1"
            if let r = try await row(PostgresQuery(unsafeSQL: sql, binds: binds)) { return try Self.prefetchTask(r) }
        }
        return nil
    }

    /// One transaction; each subject is locked (an advisory lock on its name) so that two instances
    /// observing the same subject at once count as SQLite's serialized writers would.
    public func observeBIN(_ bin: String, subjects: [String], at: Int64, since: [Int64]) async throws -> [[Int]] {
        guard !subjects.isEmpty else { return [] }
        let oldest = since.min() ?? at
        return try await transaction { c, logger in
            for subject in Set(subjects).sorted() {
                try await Self.execute(c, "SELECT pg_advisory_xact_lock(hashtext('argus-bin:' || \(subject)))", logger: logger)
            }
            var counts: [[Int]] = []
            for subject in subjects {
                try await Self.execute(
                    c,
                    """
                    INSERT INTO bin_observations AS b (subject, bin, last_seen_at) VALUES (\(subject), \(bin), \(at))
                    ON CONFLICT (subject, bin) DO UPDATE SET last_seen_at = greatest(b.last_seen_at, excluded.last_seen_at)
                    """, logger: logger)
                try await Self.execute(
                    c, "DELETE FROM bin_observations WHERE subject = \(subject) AND last_seen_at < \(oldest)", logger: logger)
                let rows = try await Self.rows(
                    c,
                    """
                    SELECT (SELECT count(*) FROM bin_observations WHERE subject = \(subject) AND last_seen_at >= s) AS n
                    FROM unnest(\(since)::int8[]) WITH ORDINALITY AS w(s, i) ORDER BY i
                    """, logger: logger)
                counts.append(try rows.map { Int(try $0("n", as: Int64.self)) })
            }
            return counts
        }
    }

    static func prefetchTask(_ r: Row) throws -> PrefetchTask {
        let attempts: Int64 = try r("attempts")
        return PrefetchTask(
            requestID: try r("request_id"), environmentID: try r("environment_id"), subscriberID: try r("subscriber_id"),
            sessionID: try r("session_id"), userID: try r("user_id"),
            status: PrefetchTask.Status(rawValue: try r("status")) ?? .pending, attempts: Int(attempts),
            lastError: try r("last_error"), createdAt: try r("created_at"), updatedAt: try r("updated_at"),
            nextAttemptAt: try r("next_attempt_at"), fetchedAt: try r("fetched_at"), result: try r.optionalBytes("result"))
    }
}
