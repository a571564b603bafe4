import ArgusCore
import ArgusStorage
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The PostgreSQL store, for several Argus instances behind a load balancer on one database.
/// Same observable behaviour as `SQLiteStore` (its doc comments are the reference); what
/// SQLite gets from its single writer, this store gets from row locks, `FOR UPDATE SKIP LOCKED`
/// claims and advisory locks.
///
/// It owns a connection pool (`PostgresClient`) whose `run()` is a task of the store:
/// `close()` ends it. Commits are durable (`synchronous_commit = on`, set per connection).
public final class PostgresStore: ArgusStore {
    public let url: PostgresURL
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    let eventWriter: GroupCommitter<(StoredEvent, VisitorRecord, VisitorRecord?)>
    /// Set when the pool's task has begun (`open` waits for it: a lease before `run()` is logged as a mistake).
    let started = Flag()
    /// When `maintain()` last pruned old erasures.
    let lastPrune = Mutex<ContinuousClock.Instant?>(nil)

    public var sharedByInstances: Bool { true }

    /// Checks the server with one direct connection (failing within `connect_timeout` with the
    /// server's reason, not after the pool's minute of retries), then opens the pool.
    public static func open(
        _ url: PostgresURL, maximumConnections: Int = 10, logger: Logger = Logger(label: "argus.postgres")
    ) async throws -> PostgresStore {
        try await check(url, logger: logger)
        let store = PostgresStore(url: url, maximumConnections: maximumConnections, logger: logger)
        while !store.started.isSet { await Task.yield() }
        await Task.yield()
        return store
    }

    public static func open(_ url: String, logger: Logger = Logger(label: "argus.postgres")) async throws -> PostgresStore {
        try await open(try PostgresURL(url), logger: logger)
    }

    init(url: PostgresURL, maximumConnections: Int, logger: Logger) {
        self.url = url
        self.logger = logger
        var config = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        config.options.connectTimeout = .seconds(Int64(url.connectTimeoutSeconds))
        config.options.maximumConnections = maximumConnections
        config.options.additionalStartupParameters = Self.startupParameters(url)
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        let started = self.started
        self.runner = Task {
            started.set()
            await client.run()
        }
        let log = logger
        self.eventWriter = GroupCommitter { batch in try await Self.writeEvents(batch, client: client, logger: log) }
    }

    static func startupParameters(_ url: PostgresURL) -> [(String, String)] {
        var parameters = [("application_name", "argus"), ("synchronous_commit", "on"), ("TimeZone", "UTC")]
        if let schema = url.searchPath { parameters.append(("search_path", schema)) }
        return parameters
    }

    /// Ends the pool's task: open connections close. The store is unusable afterwards.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// Connects once, directly, and answers why not when it cannot (host, port, database, user
    /// and the server's reason; never the password). Also refuses servers older than 13
    /// (the change feed needs `pg_current_xact_id`).
    public static func check(_ url: PostgresURL, logger: Logger) async throws {
        var config = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        config.options.connectTimeout = .seconds(Int64(url.connectTimeoutSeconds))
        config.options.additionalStartupParameters = startupParameters(url)
        let timeout = url.connectTimeoutSeconds
        let configuration = config
        let connection: PostgresConnection
        do {
            connection = try await withThrowingTaskGroup(of: PostgresConnection?.self) { group in
                group.addTask { try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger) }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                guard let c = first else { throw ConnectFailure("no answer within \(timeout) s") }
                // The sleeper may have lost the race after the connection was made: nothing else to close.
                return c
            }
        } catch {
            throw StoreError.unavailable(
                "cannot connect to PostgreSQL at \(url.host):\(url.port), database '\(url.database)' as user '\(url.user)': "
                    + reason(error))
        }
        defer { Task { try? await connection.close() } }
        do {
            let rows = try await Self.rows(connection, "SELECT current_setting('server_version_num')::int AS v", logger: logger)
            let version: Int = try rows.first?("v") ?? 0
            guard version >= 130_000 else {
                throw ConnectFailure("PostgreSQL 13 or newer is needed (the server is \(version / 10_000))")
            }
            if let schema = url.searchPath {
                let found = try await Self.rows(
                    connection, "SELECT 1 AS one FROM pg_namespace WHERE nspname = \(schema)", logger: logger)
                guard !found.isEmpty else { throw ConnectFailure("the schema '\(schema)' (search_path) does not exist") }
            }
        } catch {
            throw StoreError.unavailable(
                "PostgreSQL at \(url.host):\(url.port), database '\(url.database)': " + reason(error))
        }
    }

    /// Runs one statement on a connection of its own, outside any store (administration: tests
    /// create and drop their schemas with it).
    public static func runOnce(_ url: PostgresURL, _ sql: String, logger: Logger = Logger(label: "argus.postgres")) async throws {
        var config = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: .disable)
        config.options.connectTimeout = .seconds(Int64(url.connectTimeoutSeconds))
        config.options.additionalStartupParameters = startupParameters(url)
        let connection = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
        do {
            try await execute(connection, PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// A statement's failure with the server's reason (PSQLError's own description hides it, which
    /// would leave logs saying nothing).
    public struct PostgresError: Error, CustomStringConvertible {
        public let sqlState: String?
        public let description: String

        init(_ error: PSQLError) {
            sqlState = error.serverInfo?[.sqlState]
            description = "PostgreSQL: " + PostgresStore.reason(error)
        }
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    struct ConnectFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// What went wrong, from the server's message when there is one (PSQLError's own text hides it).
    public static func reason(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let info = e.serverInfo, let message = info[.message] {
                return message + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let underlying = e.underlying { return "\(underlying)" }
            return "\(e.code)"
        }
        if let e = error as? StoreError { return e.description }
        return "\(error)"
    }

    /// The SQLSTATE of a server error (`23505`: unique violation; class `23`: any constraint).
    static func sqlState(_ error: any Error) -> String? {
        (error as? PostgresError)?.sqlState ?? (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func isConstraint(_ error: any Error) -> Bool { sqlState(error)?.hasPrefix("23") ?? false }

    // MARK: running statements

    /// A result row, read by column name.
    struct Row: @unchecked Sendable {
        let raw: PostgresRandomAccessRow

        func callAsFunction<T: PostgresDecodable>(_ column: String, as: T.Type = T.self) throws -> T {
            try raw[column].decode(T.self)
        }

        func bytes(_ column: String) throws -> [UInt8] {
            Array(try raw[column].decode(ByteBuffer.self).readableBytesView)
        }

        func optionalBytes(_ column: String) throws -> [UInt8]? {
            try raw[column].decode(ByteBuffer?.self).map { Array($0.readableBytesView) }
        }
    }

    static func result(_ c: PostgresConnection, _ q: PostgresQuery, logger: Logger) async throws -> PostgresQueryResult {
        let future: EventLoopFuture<PostgresQueryResult> = c.query(q, logger: logger)
        do {
            return try await future.get()
        } catch let error as PSQLError {
            throw PostgresError(error)
        }
    }

    static func rows(_ c: PostgresConnection, _ q: PostgresQuery, logger: Logger) async throws -> [Row] {
        try await result(c, q, logger: logger).rows.map { Row(raw: $0.makeRandomAccess()) }
    }

    /// Runs a statement; the number of rows it changed.
    @discardableResult
    static func execute(_ c: PostgresConnection, _ q: PostgresQuery, logger: Logger) async throws -> Int {
        try await result(c, q, logger: logger).metadata.rows ?? 0
    }

    func rows(_ q: PostgresQuery) async throws -> [Row] {
        let logger = self.logger
        return try await client.withConnection { c in try await Self.rows(c, q, logger: logger) }
    }

    func row(_ q: PostgresQuery) async throws -> Row? { try await rows(q).first }

    @discardableResult
    func execute(_ q: PostgresQuery) async throws -> Int {
        let logger = self.logger
        return try await client.withConnection { c in try await Self.execute(c, q, logger: logger) }
    }

    /// Runs `body` in a transaction (READ COMMITTED unless `isolation` says otherwise); committed when it returns.
    func transaction<T: Sendable>(
        _ isolation: String? = nil, _ body: @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        try await Self.transaction(client: client, logger: logger, isolation, body)
    }

    static func transaction<T: Sendable>(
        client: PostgresClient, logger: Logger, _ isolation: String? = nil,
        _ body: @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        try await client.withConnection { c in
            try await execute(c, PostgresQuery(unsafeSQL: "BEGIN" + (isolation.map { " ISOLATION LEVEL " + $0 } ?? "")), logger: logger)
            do {
                let value = try await body(c, logger)
                try await execute(c, "COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await execute(c, "ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    // MARK: ArgusStore

    public func migrate() async throws {
        try await transaction { c, logger in
            // Two instances starting at once: the second waits here, then finds the work done.
            try await Self.execute(
                c, "SELECT pg_advisory_xact_lock(hashtext('argus-migrate:' || coalesce(current_schema(), '')))", logger: logger)
            try await Self.execute(
                c,
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version TEXT COLLATE "C" PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            let applied = Set(
                try await Self.rows(c, "SELECT version FROM schema_migrations", logger: logger).map { try $0("version", as: String.self) })
            for m in PostgresSchema.migrations where !applied.contains(m.version) {
                for statement in m.statements {
                    try await Self.execute(c, PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await Self.execute(c, "INSERT INTO schema_migrations (version) VALUES (\(m.version))", logger: logger)
            }
        }
    }

    /// The versions applied, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await rows("SELECT version FROM schema_migrations ORDER BY applied_at, version").map { try $0("version") }
    }

    public func ping() async throws {
        _ = try await rows("SELECT 1 AS one")
    }

    /// Prunes erasures older than a day from the change feed, at most once an hour (an instance
    /// that far behind rebuilds its index from `visitors` at its next start anyway).
    public func maintain() async throws {
        let now = ContinuousClock.now
        let due = lastPrune.withLock { last -> Bool in
            if let l = last, now - l < .seconds(3600) { return false }
            last = now
            return true
        }
        guard due else { return }
        try await execute("DELETE FROM visitor_erasures WHERE erased_at < now() - interval '1 day'")
    }

    // MARK: settings

    public func setting(_ name: String) async throws -> [UInt8]? {
        try await row("SELECT value FROM settings WHERE name = \(name)")?.bytes("value")
    }

    public func settingInsertIfAbsent(_ name: String, value: [UInt8]) async throws -> [UInt8] {
        try await transaction { c, logger in
            // Waits for a concurrent insert of the same name, then keeps it: the next statement sees it.
            try await Self.execute(
                c, "INSERT INTO settings (name, value) VALUES (\(name), \(ByteBuffer(bytes: value))) ON CONFLICT (name) DO NOTHING",
                logger: logger)
            return try await Self.rows(c, "SELECT value FROM settings WHERE name = \(name)", logger: logger).first?.bytes("value")
                ?? value
        }
    }

    // MARK: environments

    static let environmentColumns = "id, name, created_at, retention_days, open_response"

    public func createEnvironment(_ e: EnvironmentRecord) async throws {
        do {
            try await execute(
                """
                INSERT INTO environments (id, name, created_at, retention_days) VALUES (\(e.id), \(e.name), \(e.createdAt), \(e.retentionDays))
                """)
        } catch where Self.isConstraint(error) {
            throw StoreError.conflict("environment '\(e.name)' exists")
        }
    }

    public func environment(named name: String) async throws -> EnvironmentRecord? {
        try await row("SELECT \(unescaped: Self.environmentColumns) FROM environments WHERE name = \(name)").map(Self.environment)
    }

    public func environment(id: String) async throws -> EnvironmentRecord? {
        try await row("SELECT \(unescaped: Self.environmentColumns) FROM environments WHERE id = \(id)").map(Self.environment)
    }

    public func environments() async throws -> [EnvironmentRecord] {
        try await rows("SELECT \(unescaped: Self.environmentColumns) FROM environments ORDER BY created_at, name").map(Self.environment)
    }

    static func environment(_ r: Row) throws -> EnvironmentRecord {
        EnvironmentRecord(
            id: try r("id"), name: try r("name"), createdAt: try r("created_at"), retentionDays: try r("retention_days"),
            openResponse: try r("open_response"))
    }

    public func setOpenResponse(environmentID: String, enabled: Bool) async throws {
        try await execute("UPDATE environments SET open_response = \(enabled) WHERE id = \(environmentID)")
    }

    public func setRetention(environmentID: String, days: Int) async throws {
        try await execute("UPDATE environments SET retention_days = \(days) WHERE id = \(environmentID)")
    }

    // MARK: encryption keys

    static let encryptionKeyColumns =
        "id, environment_id, sealed_key, status, created_at, activated_at, deactivated_at, previous_key_id, seal_count"

    public func encryptionKeys(environmentID: String) async throws -> [EncryptionKeyRecord] {
        try await rows(
            """
            SELECT \(unescaped: Self.encryptionKeyColumns) FROM encryption_keys WHERE environment_id = \(environmentID)
            ORDER BY created_at, id
            """
        ).map(Self.encryptionKey)
    }

    public func saveEncryptionKeys(_ keys: [EncryptionKeyRecord]) async throws {
        do {
            try await transaction { c, logger in
                // Leave the active state before anything enters it: the unique index checks every statement.
                let ordered = keys.filter { $0.status != .active } + keys.filter { $0.status == .active }
                for k in ordered {
                    try await Self.execute(
                        c,
                        """
                        INSERT INTO encryption_keys (id, environment_id, sealed_key, status, created_at, activated_at,
                          deactivated_at, previous_key_id, seal_count)
                        VALUES (\(k.id), \(k.environmentID), \(ByteBuffer(bytes: k.sealedKey)), \(k.status.rawValue), \(k.createdAt),
                          \(k.activatedAt), \(k.deactivatedAt), \(k.previousKeyID), \(k.sealCount))
                        ON CONFLICT (id) DO UPDATE SET status = excluded.status, activated_at = excluded.activated_at,
                          deactivated_at = excluded.deactivated_at, previous_key_id = excluded.previous_key_id
                        """, logger: logger)
                }
            }
        } catch where Self.isConstraint(error) {
            throw StoreError.conflict("an environment can have only one active encryption key")
        }
    }

    public func deleteEncryptionKey(id: String) async throws {
        try await execute("DELETE FROM encryption_keys WHERE id = \(id)")
    }

    public func addSealCounts(_ counts: [String: Int64]) async throws {
        guard !counts.isEmpty else { return }
        // Sorted ids: two instances flushing at once lock the rows in the same order.
        let sorted = counts.sorted { $0.key < $1.key }
        try await execute(
            """
            UPDATE encryption_keys k SET seal_count = k.seal_count + u.n
            FROM unnest(\(sorted.map(\.key))::text[], \(sorted.map(\.value))::int8[]) AS u(id, n) WHERE k.id = u.id
            """)
    }

    static func encryptionKey(_ r: Row) throws -> EncryptionKeyRecord {
        EncryptionKeyRecord(
            id: try r("id"), environmentID: try r("environment_id"), sealedKey: try r.bytes("sealed_key"),
            status: EncryptionKeyRecord.Status(rawValue: try r("status")) ?? .inactive, createdAt: try r("created_at"),
            activatedAt: try r("activated_at"), deactivatedAt: try r("deactivated_at"), previousKeyID: try r("previous_key_id"),
            sealCount: try r("seal_count"))
    }

    // MARK: keys

    static let keyColumns =
        "id, environment_id, kind, public_value, secret_hash, sealed_secret, scopes, allowed_origins, name, created_at, revoked_at, rate_limit_per_second"

    public func insertKey(_ k: KeyRecord) async throws {
        do {
            try await execute(
                """
                INSERT INTO api_keys (id, environment_id, kind, public_value, secret_hash, sealed_secret, scopes,
                  allowed_origins, name, created_at, revoked_at, rate_limit_per_second)
                VALUES (\(k.id), \(k.environmentID), \(k.kind.rawValue), \(k.publicValue), \(k.secretHash),
                  \(k.sealedSecret.map { ByteBuffer(bytes: $0) }), \(k.scopes.map(\.rawValue).joined(separator: ",")),
                  \(k.allowedOrigins.joined(separator: " ")), \(k.name), \(k.createdAt), \(k.revokedAt), \(k.rateLimitPerSecond))
                """)
        } catch where Self.isConstraint(error) {
            throw StoreError.conflict("key exists")
        }
    }

    public func key(publicValue: String) async throws -> KeyRecord? {
        try await row("SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE public_value = \(publicValue)").map(Self.key)
    }

    public func key(secretHash: String) async throws -> KeyRecord? {
        try await row("SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE secret_hash = \(secretHash)").map(Self.key)
    }

    public func keys(environmentID: String?, kind: KeyKind) async throws -> [KeyRecord] {
        if let environmentID {
            return try await rows(
                """
                SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE environment_id = \(environmentID) AND kind = \(kind.rawValue)
                ORDER BY created_at, id
                """
            ).map(Self.key)
        }
        return try await rows(
            """
            SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE environment_id IS NULL AND kind = \(kind.rawValue)
            ORDER BY created_at, id
            """
        ).map(Self.key)
    }

    public func revokeKey(id: String, at: Int64) async throws -> Bool {
        try await execute("UPDATE api_keys SET revoked_at = \(at) WHERE id = \(id) AND revoked_at IS NULL") > 0
    }

    static func key(_ r: Row) throws -> KeyRecord {
        let scopes: String = try r("scopes")
        let origins: String = try r("allowed_origins")
        let rate: Int64? = try r("rate_limit_per_second")
        return KeyRecord(
            id: try r("id"), environmentID: try r("environment_id"), kind: KeyKind(rawValue: try r("kind")) ?? .secret,
            publicValue: try r("public_value"), secretHash: try r("secret_hash"), sealedSecret: try r.optionalBytes("sealed_secret"),
            scopes: scopes.split(separator: ",").compactMap { Scope(rawValue: String($0)) },
            allowedOrigins: origins.split(separator: " ").map(String.init), name: try r("name"),
            createdAt: try r("created_at"), revokedAt: try r("revoked_at"), rateLimitPerSecond: rate.map { Int($0) })
    }
}
