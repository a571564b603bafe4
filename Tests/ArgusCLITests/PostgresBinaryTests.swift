import ArgusCore
import ArgusPostgres
import Foundation
import Logging
import Testing

/// The `argus` binary on PostgreSQL (`ARGUS_DATABASE_URL`): admin verbs, two servers on one
/// database, and the refusals at start. Runs when `ARGUS_TEST_POSTGRES_URL` is set (scripts/test).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"] != nil, "set ARGUS_TEST_POSTGRES_URL"))
struct PostgresBinaryTests {
    static let quiet: Logger = {
        var l = Logger(label: "argus-cli-test")
        l.logLevel = .critical
        return l
    }()

    /// A schema of its own; its URL.
    static func schema() async throws -> (url: String, drop: @Sendable () async -> Void) {
        let text = try #require(ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"])
        let base = try PostgresURL(text)
        let name = "c_" + String(UUID().uuidString.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20))
        try await PostgresStore.runOnce(base, "CREATE SCHEMA \(name)", logger: quiet)
        return (
            text + (text.contains("?") ? "&" : "?") + "search_path=" + name,
            { try? await PostgresStore.runOnce(base, "DROP SCHEMA \(name) CASCADE", logger: quiet) }
        )
    }

    static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("argus-cli-pg-\(UUID().uuidString)").path
    }

    @Test func twoServersShareOneDatabase() async throws {
        let (url, drop) = try await Self.schema()
        let dirA = Self.tempDir()
        let dirB = Self.tempDir()
        defer {
            try? FileManager.default.removeItem(atPath: dirA)
            try? FileManager.default.removeItem(atPath: dirB)
        }
        let env = ["ARGUS_DATABASE_URL": url, "ARGUS_MASTER_KEY": MasterKeyFormat.generate().text]
        // Admin verbs work on the database: bootstrap is idempotent across "machines" (data directories).
        let (status, stdout, stderr) = try BinaryTests.run(["bootstrap", "--json", "--data-dir", dirA], environment: env)
        #expect(status == 0, "\(stderr)")
        let boot = try JSONParser.parse(stdout)
        let publicKey = try #require(boot["publicKey"]?.stringValue)
        let secretKey = try #require(boot["secretKey"]?.stringValue)
        let again = try JSONParser.parse(try BinaryTests.run(["bootstrap", "--json", "--data-dir", dirB], environment: env).1)
        #expect(again["publicKey"] == boot["publicKey"])
        #expect(again["proxySecret"] == boot["proxySecret"])
        // No key file: the key is the environment's.
        #expect(!FileManager.default.fileExists(atPath: dirA + "/master.key"))

        let a = try BinaryTests.Server(dataDir: dirA, environment: env)
        let b = try BinaryTests.Server(dataDir: dirB, environment: env)
        let body = #"{"v":1,"publicKey":"\#(publicKey)","token":null,"components":{"userAgent":"Mozilla/5.0","platform":"Linux x86_64"}}"#
        let (identifyStatus, identified) = try await a.request(
            "POST", "/v1/identify", headers: ["Content-Type": "text/plain;charset=UTF-8"], body: body)
        #expect(identifyStatus == 200)
        let requestID = try #require(identified["requestId"]?.stringValue)
        // Written through A, served by B; a key created by the CLI works in both.
        let (getStatus, event) = try await b.request("GET", "/v4/events/\(requestID)", headers: ["Authorization": "Bearer \(secretKey)"])
        #expect(getStatus == 200)
        #expect(event["identification"]?["visitor_id"] == identified["visitorId"])
        let created = try JSONParser.parse(
            try BinaryTests.run(
                ["keys", "create", "--environment", "default", "--kind", "secret", "--scopes", "read:events", "--json", "--data-dir", dirB],
                environment: env
            ).1)
        let newKey = try #require(created["key"]?.stringValue)
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await a.request("GET", "/v4/events/\(requestID)", headers: ["Authorization": "Bearer \(newKey)"]).0 == 200)
        // SIGTERM: both stop cleanly (the store's connections closed).
        #expect(a.signal(SIGTERM) == 0)
        #expect(b.signal(SIGTERM) == 0)
        await drop()
    }

    @Test func aDatabaseURLNeedsTheSharedMasterKey() async throws {
        let (url, drop) = try await Self.schema()
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, _, stderr) = try BinaryTests.run(["bootstrap", "--data-dir", dir], environment: ["ARGUS_DATABASE_URL": url])
        #expect(status == 1)
        #expect(stderr.contains("ARGUS_MASTER_KEY is required with ARGUS_DATABASE_URL"))
        // The first key the database saw is the only one it accepts.
        let first = ["ARGUS_DATABASE_URL": url, "ARGUS_MASTER_KEY": MasterKeyFormat.generate().text]
        #expect(try BinaryTests.run(["bootstrap", "--data-dir", dir], environment: first).0 == 0)
        let other = ["ARGUS_DATABASE_URL": url, "ARGUS_MASTER_KEY": MasterKeyFormat.generate().text]
        let (otherStatus, _, otherErr) = try BinaryTests.run(["bootstrap", "--data-dir", dir], environment: other)
        #expect(otherStatus == 1)
        #expect(otherErr.contains("ARGUS_MASTER_KEY is not the master key this database was set up with"))
        await drop()
    }

    @Test func aWrongPasswordStopsTheStartWithinSeconds() throws {
        var url = try PostgresURL(try #require(ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"]))
        url.password = "not-the-password"
        let text = "postgres://\(url.user):not-the-password@\(url.host):\(url.port)/\(url.database)?sslmode=disable"
        let start = Date()
        let (status, _, stderr) = try BinaryTests.run(
            ["serve", "--data-dir", Self.tempDir(), "--port", "0"],
            environment: ["ARGUS_DATABASE_URL": text, "ARGUS_MASTER_KEY": MasterKeyFormat.generate().text])
        #expect(Date().timeIntervalSince(start) < 20)  // the pool alone would retry for a minute
        #expect(status == 1)
        #expect(stderr.contains("cannot connect to PostgreSQL at \(url.host):\(url.port), database '\(url.database)'"))
        #expect(stderr.contains("password authentication failed"))
        #expect(!stderr.contains("not-the-password"))
    }
}
