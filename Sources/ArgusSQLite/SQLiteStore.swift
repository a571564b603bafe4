import ArgusCore
import ArgusStorage
import CSQLitePageCache
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode, shared safely by the
/// server and the CLI (several processes may open it at once).
public final class SQLiteStore: ArgusStore {
    public enum Synchronous: String, Sendable {
        /// Survives a crash of the process; the last commits may be lost on power failure.
        case normal = "NORMAL"
        /// Also survives power failure, at the cost of an fsync per commit.
        case full = "FULL"
    }

    let pool: DatabasePool
    public let path: String

    /// Whether SQLite's page cache is wrapped in this process (`CSQLitePageCache`): done before
    /// the first store opens; a process that used SQLite before keeps the default cache.
    public static let pageCacheWrapped: Bool = argus_pcache_install() == 1

    /// Truncations of page caches passed to SQLite's cache and skipped as having nothing to drop.
    public static var pageCacheTruncations: (forwarded: UInt64, skipped: UInt64) {
        var forwarded: UInt64 = 0
        var skipped: UInt64 = 0
        argus_pcache_counts(&forwarded, &skipped)
        return (forwarded, skipped)
    }

    public init(path: String, synchronous: Synchronous = .normal, restartFrames: Int = 1_000) throws {
        _ = Self.pageCacheWrapped
        self.path = path
        self.restartFrames = restartFrames
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
            if !db.configuration.readonly {
                // The one writer touches the hot pages of every index on each event: a 64 MiB page
                // cache (default 2 MiB) keeps them instead of reading them back. Checkpoints are
                // `maintain()`'s job, off the commit path; the writer's own automatic checkpoint
                // stays as a backstop for processes that do not run it (the CLI, tests).
                try db.execute(sql: "PRAGMA cache_size = -65536")
                // Each statement of recordEvent's batch that fires a trigger keeps the pages it
                // touches in a statement journal, so that it alone can be undone. Past its spill
                // size (64 KiB by default) SQLite moved that journal into files under /var/tmp: a
                // third of all the bytes an identify wrote (BENCHMARKS.md, "Twelfth session").
                // In memory it is a copy, and it never held anything durable.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.backstopCheckpointFrames)")
            }
        }
        pool = try DatabasePool(path: path, configuration: config)
        var side = Configuration()
        side.busyMode = .timeout(10)
        checkpointer = try DatabaseQueue(path: path, configuration: side)
        eventWriter = Self.makeEventWriter(pool)
    }

    /// A connection of its own for `maintain()`'s checkpoints, so that commits never wait for one.
    let checkpointer: DatabaseQueue
    /// The writer checkpoints by itself only when the WAL holds this many pages (160 MiB).
    static let backstopCheckpointFrames = 40_000
    /// When a checkpoint leaves the WAL this long (default 1,000 pages, 4 MiB), the writer
    /// finishes it between two commits, so that the next commit starts the WAL file over.
    let restartFrames: Int

    /// Copies committed WAL pages into the database file from a side connection: a PASSIVE
    /// checkpoint takes no lock that commits need, so the writer goes on meanwhile. Those
    /// commits keep the WAL from ever being fully copied, so once it has grown the writer
    /// copies the few pages left between two of its transactions; the next transaction then
    /// restarts the WAL from its start.
    ///
    /// A checkpoint that stops short of the WAL's end does not sync the database file: the one
    /// that completes it does, and that is the writer's step, so it used to flush every page the
    /// side checkpoints had copied meanwhile, holding commits for 6–12 ms (one browser's identify
    /// p99 10–12 ms). The side connection flushes the log and the database file first
    /// (`argus_sync_files`, through SQLite's own file handles), which leaves the writer a few
    /// pages to flush: 2.5 ms, p99 3–4.5 ms (BENCHMARKS.md, "Twelfth session").
    public func maintain() async throws {
        let restartFrames = self.restartFrames
        let restart = try await checkpointer.writeWithoutTransaction { db in
            let (frames, _) = try db.checkpoint(.passive)
            if frames >= restartFrames { try Self.syncFiles(db) }
            return frames >= restartFrames
        }
        if restart { try await pool.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) } }
    }

    /// Syncs the connection's WAL and database file to disk (`Sources/CSQLitePageCache/argus_sync.c`).
    static func syncFiles(_ db: Database) throws {
        let rc = argus_sync_files(db.sqliteConnection)
        if rc != 0 { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }  // SQLITE_OK
    }

    /// Opens (creating if needed) `argus.sqlite` in `directory`.
    public convenience init(directory: String, synchronous: Synchronous = .normal) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try self.init(path: (directory as NSString).appendingPathComponent("argus.sqlite"), synchronous: synchronous)
    }

    public func migrate() async throws {
        try SQLiteSchema.migrator.migrate(pool)
    }

    /// Writes visitor rows in transactions of `batch` (development tools only: benchmarks that
    /// start from a large population). An existing visitor is replaced.
    public func seedVisitors(_ visitors: [VisitorRecord], batch: Int = 20_000) async throws {
        var start = 0
        while start < visitors.count {
            let slice = visitors[start..<min(visitors.count, start + batch)]
            try await pool.write { db in
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO visitors (environment_id, id, first_seen_at, last_seen_at, event_count, profile)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """)
                for v in slice {
                    try insert.execute(arguments: [v.environmentID, v.id, v.firstSeenAt, v.lastSeenAt, v.eventCount, Data(v.profile)])
                }
            }
            start += batch
        }
    }

    /// Runs raw SQL (development tools only: benchmarks that try a schema variant).
    public func execute(_ sql: String) throws {
        try pool.write { db in try db.execute(sql: sql) }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: settings

    public func setting(_ name: String) async throws -> [UInt8]? {
        try await pool.read { db in
            try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name]).map(Array.init)
        }
    }

    public func settingInsertIfAbsent(_ name: String, value: [UInt8]) async throws -> [UInt8] {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                arguments: [name, Data(value)])
            return try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name]).map(Array.init) ?? value
        }
    }

    // MARK: environments

    public func createEnvironment(_ e: EnvironmentRecord) async throws {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO environments (id, name, created_at, retention_days) VALUES (?, ?, ?, ?)",
                    arguments: [e.id, e.name, e.createdAt, e.retentionDays])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.conflict("environment '\(e.name)' exists")
        }
    }

    public func environment(named name: String) async throws -> EnvironmentRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM environments WHERE name = ?", arguments: [name]).map(Self.environment)
        }
    }

    public func environment(id: String) async throws -> EnvironmentRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM environments WHERE id = ?", arguments: [id]).map(Self.environment)
        }
    }

    public func environments() async throws -> [EnvironmentRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM environments ORDER BY created_at, name").map(Self.environment)
        }
    }

    static func environment(_ row: Row) -> EnvironmentRecord {
        EnvironmentRecord(
            id: row["id"], name: row["name"], createdAt: row["created_at"], retentionDays: row["retention_days"],
            openResponse: row["open_response"])
    }

    public func setOpenResponse(environmentID: String, enabled: Bool) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE environments SET open_response = ? WHERE id = ?", arguments: [enabled, environmentID])
        }
    }

    public func setRetention(environmentID: String, days: Int) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE environments SET retention_days = ? WHERE id = ?", arguments: [days, environmentID])
        }
    }

    // MARK: encryption keys

    public func encryptionKeys(environmentID: String) async throws -> [EncryptionKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM encryption_keys WHERE environment_id = ? ORDER BY created_at, id",
                arguments: [environmentID]
            ).map(Self.encryptionKey)
        }
    }

    public func saveEncryptionKeys(_ keys: [EncryptionKeyRecord]) async throws {
        do {
            try await pool.write { db in
                // Leave the active state before anything enters it: the unique index checks every statement.
                let ordered = keys.filter { $0.status != .active } + keys.filter { $0.status == .active }
                for k in ordered {
                    try db.execute(
                        sql: """
                            INSERT INTO encryption_keys (id, environment_id, sealed_key, status, created_at, activated_at,
                              deactivated_at, previous_key_id, seal_count)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT(id) DO UPDATE SET status = excluded.status, activated_at = excluded.activated_at,
                              deactivated_at = excluded.deactivated_at, previous_key_id = excluded.previous_key_id
                            """,
                        arguments: [
                            k.id, k.environmentID, Data(k.sealedKey), k.status.rawValue, k.createdAt, k.activatedAt,
                            k.deactivatedAt, k.previousKeyID, k.sealCount,
                        ])
                }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.conflict("an environment can have only one active encryption key")
        }
    }

    public func deleteEncryptionKey(id: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM encryption_keys WHERE id = ?", arguments: [id])
        }
    }

    public func addSealCounts(_ counts: [String: Int64]) async throws {
        guard !counts.isEmpty else { return }
        try await pool.write { db in
            for (id, n) in counts {
                try db.execute(sql: "UPDATE encryption_keys SET seal_count = seal_count + ? WHERE id = ?", arguments: [n, id])
            }
        }
    }

    static func encryptionKey(_ row: Row) -> EncryptionKeyRecord {
        EncryptionKeyRecord(
            id: row["id"], environmentID: row["environment_id"], sealedKey: Array(row["sealed_key"] as Data),
            status: EncryptionKeyRecord.Status(rawValue: row["status"]) ?? .inactive, createdAt: row["created_at"],
            activatedAt: row["activated_at"], deactivatedAt: row["deactivated_at"], previousKeyID: row["previous_key_id"],
            sealCount: row["seal_count"])
    }

    // MARK: keys

    public func insertKey(_ k: KeyRecord) async throws {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO api_keys (id, environment_id, kind, public_value, secret_hash, sealed_secret, scopes,
                          allowed_origins, name, created_at, revoked_at, rate_limit_per_second)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        k.id, k.environmentID, k.kind.rawValue, k.publicValue, k.secretHash, k.sealedSecret.map { Data($0) },
                        k.scopes.map(\.rawValue).joined(separator: ","), k.allowedOrigins.joined(separator: " "), k.name,
                        k.createdAt, k.revokedAt, k.rateLimitPerSecond,
                    ])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError.conflict("key exists")
        }
    }

    public func key(publicValue: String) async throws -> KeyRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE public_value = ?", arguments: [publicValue]).map(Self.key)
        }
    }

    public func key(secretHash: String) async throws -> KeyRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE secret_hash = ?", arguments: [secretHash]).map(Self.key)
        }
    }

    public func keys(environmentID: String?, kind: KeyKind) async throws -> [KeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM api_keys WHERE environment_id IS ? AND kind = ? ORDER BY created_at, id",
                arguments: [environmentID, kind.rawValue]
            ).map(Self.key)
        }
    }

    public func revokeKey(id: String, at: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at, id])
            return db.changesCount > 0
        }
    }

    static func key(_ row: Row) -> KeyRecord {
        let scopes: String = row["scopes"]
        let origins: String = row["allowed_origins"]
        return KeyRecord(
            id: row["id"], environmentID: row["environment_id"], kind: KeyKind(rawValue: row["kind"]) ?? .secret,
            publicValue: row["public_value"], secretHash: row["secret_hash"],
            sealedSecret: (row["sealed_secret"] as Data?).map(Array.init),
            scopes: scopes.split(separator: ",").compactMap { Scope(rawValue: String($0)) },
            allowedOrigins: origins.split(separator: " ").map(String.init), name: row["name"],
            createdAt: row["created_at"], revokedAt: row["revoked_at"], rateLimitPerSecond: row["rate_limit_per_second"])
    }

    // MARK: events and visitors

    /// Commits are grouped: events that arrive while a transaction is being
    /// written go together into the next one, so that throughput is not
    /// bounded by one commit per request. Each caller still returns only
    /// after its own event is committed.
    public func recordEvent(_ e: StoredEvent, visitor v: VisitorRecord, joined: VisitorRecord?) async throws {
        var e = e
        e.components = StoredComponents.encode(e.components)  // compressed here, off the single writer
        try await eventWriter.submit((e, v, joined))
    }

    let eventWriter: GroupCommitter<(StoredEvent, VisitorRecord, VisitorRecord?)>

    static func makeEventWriter(_ pool: DatabasePool) -> GroupCommitter<(StoredEvent, VisitorRecord, VisitorRecord?)> {
        GroupCommitter { batch in
        try await pool.write { db in
            let insertEvent = try db.cachedStatement(
                sql: """
                    INSERT INTO events (id, environment_id, visitor_id, timestamp, linked_id, ip_address, suspect, document, components,
                      risk_score, risk_flags, country, city)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let upsertVisitor = try db.cachedStatement(
                sql: """
                    INSERT INTO visitors (environment_id, id, first_seen_at, last_seen_at, event_count, profile)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(environment_id, id) DO UPDATE SET
                      first_seen_at = min(first_seen_at, excluded.first_seen_at),
                      last_seen_at = max(last_seen_at, excluded.last_seen_at),
                      event_count = visitors.event_count + 1,
                      profile = excluded.profile
                    """)
            for (e, v, joined) in batch {
                if let j = joined {
                    try db.execute(
                        sql: "UPDATE visitors SET profile = ? WHERE environment_id = ? AND id = ?",
                        arguments: [Data(j.profile), j.environmentID, j.id])
                }
                try insertEvent.execute(arguments: [
                    e.id, e.environmentID, e.visitorID, e.timestamp, e.linkedID, e.ipAddress, e.suspect,
                    Data(e.document), Data(e.components), e.risk.score, e.risk.storedFlags, e.country, e.city,
                ])
                try upsertVisitor.execute(arguments: [
                    v.environmentID, v.id, v.firstSeenAt, v.lastSeenAt, v.eventCount, Data(v.profile),
                ])
                try Self.enqueueWebhookDeliveries(db, event: e)  // the outbox rows commit with their event
            }
        }
        }
    }

    public func event(id: String, environmentID: String?) async throws -> StoredEvent? {
        try await pool.read { db in
            let row: Row?
            if let environmentID {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM events WHERE id = ? AND environment_id = ?", arguments: [id, environmentID])
            } else {
                row = try Row.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id])
            }
            return row.map(Self.event)
        }
    }

    static func event(_ row: Row) -> StoredEvent {
        StoredEvent(
            id: row["id"], environmentID: row["environment_id"], visitorID: row["visitor_id"], timestamp: row["timestamp"],
            linkedID: row["linked_id"], ipAddress: row["ip_address"], suspect: row["suspect"],
            document: Array(row["document"] as Data), components: StoredComponents.decode(Array(row["components"] as Data)),
            risk: RiskSummary(score: row["risk_score"], storedFlags: row["risk_flags"]), country: row["country"], city: row["city"])
    }

    public func visitor(id: String, environmentID: String) async throws -> VisitorRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM visitors WHERE environment_id = ? AND id = ?", arguments: [environmentID, id]
            ).map(Self.visitor)
        }
    }

    static func visitor(_ row: Row) -> VisitorRecord {
        VisitorRecord(
            environmentID: row["environment_id"], id: row["id"], firstSeenAt: row["first_seen_at"],
            lastSeenAt: row["last_seen_at"], eventCount: row["event_count"],
            profile: Array(row["profile"] as Data))
    }

    public func visitors(environmentID: String) async throws -> [VisitorRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM visitors WHERE environment_id = ?", arguments: [environmentID])
                .map(Self.visitor)
        }
    }

    static func whereClause(_ q: EventQuery, withCursor: Bool) -> (String, StatementArguments) {
        var sql = ["timestamp >= ?", "timestamp <= ?"]
        var args: [(any DatabaseValueConvertible)?] = [q.start, q.end]
        let equalities: [(String, (any DatabaseValueConvertible)?)] = [
            ("environment_id", q.environmentID), ("visitor_id", q.visitorID), ("linked_id", q.linkedID),
            ("ip_address", q.ipAddress), ("suspect", q.suspect),
        ]
        for (column, value) in equalities {
            guard let value else { continue }
            sql.append("\(column) = ?")
            args.append(value)
        }
        for f in q.signals {
            // The document is JSON text stored as a BLOB: read it as text.
            // Keys are our own field names (letters and underscores), checked before they reach the path.
            guard !f.oneOf.isEmpty, f.path.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 == 0x5F || (0x61...0x7A).contains($0) } })
            else {
                sql.append("0")
                continue
            }
            let path = "$." + f.path.joined(separator: ".")
            var alternatives: [String] = []
            for v in f.oneOf {
                switch v {
                case .bool(let b):  // json_type names a JSON boolean by its value: 'true' or 'false'
                    alternatives.append("json_type(CAST(document AS TEXT), ?) = ?")
                    args += [path, b ? "true" : "false"]
                case .string(let text):
                    alternatives.append("(json_type(CAST(document AS TEXT), ?) = 'text' AND json_extract(CAST(document AS TEXT), ?) = ?)")
                    args += [path, path, text]
                case .atLeast(let n):
                    alternatives.append(
                        "(json_type(CAST(document AS TEXT), ?) IN ('integer', 'real') AND json_extract(CAST(document AS TEXT), ?) >= ?)")
                    args += [path, path, n]
                }
            }
            sql.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        if withCursor, let c = q.after {
            sql.append(q.reverse ? "(timestamp, id) > (?, ?)" : "(timestamp, id) < (?, ?)")
            args.append(c.timestamp)
            args.append(c.id)
        }
        return (sql.joined(separator: " AND "), StatementArguments(args))
    }

    public func searchEvents(_ q: EventQuery) async throws -> [StoredEvent] {
        let (clause, args) = Self.whereClause(q, withCursor: true)
        let order = q.reverse ? "ASC" : "DESC"
        return try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE \(clause) ORDER BY timestamp \(order), id \(order) LIMIT \(max(0, q.limit))",
                arguments: args
            ).map(Self.event)
        }
    }

    public func countEvents(_ q: EventQuery, cap: Int) async throws -> Int {
        let (clause, args) = Self.whereClause(q, withCursor: false)
        return try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM events WHERE \(clause) LIMIT \(max(0, cap)))", arguments: args)
                ?? 0
        }
    }

    public func updateEvent(id: String, environmentID: String?, document: [UInt8], linkedID: String?, suspect: Bool) async throws
        -> Bool
    {
        try await pool.write { db in
            if let environmentID {
                try db.execute(
                    sql: "UPDATE events SET document = ?, linked_id = ?, suspect = ? WHERE id = ? AND environment_id = ?",
                    arguments: [Data(document), linkedID, suspect, id, environmentID])
            } else {
                try db.execute(
                    sql: "UPDATE events SET document = ?, linked_id = ?, suspect = ? WHERE id = ?",
                    arguments: [Data(document), linkedID, suspect, id])
            }
            return db.changesCount > 0
        }
    }

    public func deleteVisitors(ids: [String], environmentID: String) async throws -> Int? {
        try await pool.write { db in
            var events = 0
            var visitors = 0
            for id in ids {
                try Self.dropWebhookDeliveries(db, environmentID: environmentID, visitorID: id)
                try db.execute(sql: "DELETE FROM events WHERE environment_id = ? AND visitor_id = ?", arguments: [environmentID, id])
                events += db.changesCount
                try db.execute(sql: "DELETE FROM visitors WHERE environment_id = ? AND id = ?", arguments: [environmentID, id])
                visitors += db.changesCount
            }
            return events + visitors > 0 ? events : nil
        }
    }

    public func eventCount(environmentID: String?) async throws -> Int {
        try await pool.read { db in
            if let environmentID {
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE environment_id = ?", arguments: [environmentID]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0
        }
    }
}
