import ArgusCore
import ArgusPostgres
import ArgusStorage
import Foundation
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server that `scripts/test` starts (Debian's postgresql, on a loopback port, in a
/// temporary directory). By hand: start one, then
/// `ARGUS_TEST_POSTGRES_URL=postgres://user:pw@127.0.0.1:5432/postgres?sslmode=disable swift test --filter ArgusPostgresTests`.
/// Tests run when the variable is set and fail (not skip) when the server then does not answer.
enum TestPostgres {
    static let url = ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"]
    static var configured: Bool { url != nil }
    static let logger: Logger = {
        var l = Logger(label: "argus-postgres-test")
        l.logLevel = .critical
        return l
    }()

    static func base() throws -> PostgresURL { try PostgresURL(try #require(url)) }
}

/// A schema of its own for one test (`t_<random>`), dropped at the end.
struct Scratch {
    let base: PostgresURL
    let schema: String
    var url: PostgresURL {
        var u = base
        u.searchPath = schema
        return u
    }

    static func make() async throws -> Scratch {
        let base = try TestPostgres.base()
        let schema = "t_" + String(UUID().uuidString.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20))
        try await PostgresStore.runOnce(base, "CREATE SCHEMA \(schema)", logger: TestPostgres.logger)
        return Scratch(base: base, schema: schema)
    }

    /// A store on the schema, migrated.
    func open() async throws -> PostgresStore {
        let store = try await PostgresStore.open(url, logger: TestPostgres.logger)
        try await store.migrate()
        return store
    }

    func drop() async {
        try? await PostgresStore.runOnce(base, "DROP SCHEMA \(schema) CASCADE", logger: TestPostgres.logger)
    }

    /// A plain connection on the schema, for what a test does behind the store's back.
    func connect() async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(
            host: base.host, port: base.port, username: base.user, password: base.password, database: base.database, tls: .disable)
        config.options.additionalStartupParameters = [("search_path", schema)]
        return try await PostgresConnection.connect(configuration: config, id: 1, logger: TestPostgres.logger)
    }
}

/// Runs `body` with a migrated store on a fresh schema; closes the store and drops the schema after.
func withStore(_ body: (PostgresStore, Scratch) async throws -> Void) async throws {
    let scratch = try await Scratch.make()
    let store: PostgresStore
    do {
        store = try await scratch.open()
    } catch {
        await scratch.drop()
        throw error
    }
    do {
        try await body(store, scratch)
    } catch {
        await store.close()
        await scratch.drop()
        throw error
    }
    await store.close()
    await scratch.drop()
}

/// Runs a statement on a plain connection (no result rows read).
func run(_ c: PostgresConnection, _ sql: String) async throws {
    try await c.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
}

enum Make {
    static func environment(_ id: String = "env_a", name: String? = nil) -> EnvironmentRecord {
        EnvironmentRecord(id: id, name: name ?? id, createdAt: 1_000)
    }

    static func event(
        _ id: String, visitor: String, at t: Int64, env: String = "env_a", linked: String? = nil, ip: String = "81.2.3.4",
        document: String? = nil, risk: RiskSummary = .none, country: String? = nil, city: String? = nil
    ) -> StoredEvent {
        StoredEvent(
            id: id, environmentID: env, visitorID: visitor, timestamp: t, linkedID: linked, ipAddress: ip,
            document: Array((document ?? #"{"event_id":"\#(id)"}"#).utf8), components: Array(#"{"v":1,"components":{}}"#.utf8),
            risk: risk, country: country, city: city)
    }

    static func visitor(_ id: String, at t: Int64, env: String = "env_a", profile: String = "p") -> VisitorRecord {
        VisitorRecord(environmentID: env, id: id, firstSeenAt: t, lastSeenAt: t, eventCount: 1, profile: Array(profile.utf8))
    }
}
