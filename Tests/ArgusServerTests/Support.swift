import ArgusCore
import ArgusPostgres
import ArgusSQLite
import ArgusStorage
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

@testable import ArgusServer

/// A clock the test moves by hand.
final class TestClock: Sendable {
    let now: Mutex<Int64>
    init(_ start: Int64 = 1_760_000_000_000) { now = Mutex(start) }
    func advance(ms: Int64) { now.withLock { $0 += ms } }
    var clock: ArgusClock { ArgusClock { [self] in now.withLock { $0 } } }
}

/// Which store the server tests run on: SQLite (a file in a temporary directory) unless
/// `ARGUS_TEST_STORE=postgres`, then a schema of its own per test on the PostgreSQL server of
/// `ARGUS_TEST_POSTGRES_URL` (scripts/test runs the suite a second time that way).
enum TestStore {
    static let environment = ProcessInfo.processInfo.environment
    static var postgres: Bool { environment["ARGUS_TEST_STORE"] == "postgres" }

    /// A new schema on the test server; its URL and the server's.
    static func postgresSchema() async throws -> (url: String, base: PostgresURL, schema: String) {
        guard let text = environment["ARGUS_TEST_POSTGRES_URL"] else {
            throw ConfigurationError("ARGUS_TEST_STORE=postgres needs ARGUS_TEST_POSTGRES_URL")
        }
        let base = try PostgresURL(text)
        let schema = "s_" + String(UUID().uuidString.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20))
        try await PostgresStore.runOnce(base, "CREATE SCHEMA \(schema)", logger: quiet)
        return (text + (text.contains("?") ? "&" : "?") + "search_path=" + schema, base, schema)
    }

    static let quiet: Logger = {
        var l = Logger(label: "argus-test")
        l.logLevel = .critical
        return l
    }()
}

/// A runtime on a fresh store (see `TestStore`), with a bootstrapped `default` environment.
struct Harness {
    let runtime: ArgusRuntime
    let directory: String
    let boot: Provisioning.Bootstrap
    let clock: TestClock
    /// PostgreSQL: the server and the test's schema.
    let postgres: (base: PostgresURL, schema: String)?

    static func make(config: ArgusConfig = ArgusConfig(), resolver: (any CrawlerResolver)? = nil) async throws -> Harness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-test-\(UUID().uuidString)").path
        var config = config
        config.dataDirectory = directory
        var postgres: (base: PostgresURL, schema: String)?
        if TestStore.postgres, config.databaseURL == nil {
            let (url, base, schema) = try await TestStore.postgresSchema()
            config.databaseURL = url
            if config.masterKey == nil { config.masterKey = MasterKeyFormat.generate().text }
            postgres = (base, schema)
        }
        let clock = TestClock()
        var logger = Logger(label: "argus-test")
        logger.logLevel = .critical
        let runtime = try await ArgusRuntime.open(config, clock: clock.clock, logger: logger, resolver: resolver)
        let boot = try await Provisioning(runtime: runtime).bootstrap()
        return Harness(runtime: runtime, directory: directory, boot: boot, clock: clock, postgres: postgres)
    }

    /// Another store on the same database: another instance, or the same one after a restart.
    func secondStore() async throws -> any ArgusStore {
        if let postgres {
            var url = postgres.base
            url.searchPath = postgres.schema
            return try await PostgresStore.open(url, logger: TestStore.quiet)
        }
        return try SQLiteStore(directory: directory)
    }

    /// Removes the data directory; on PostgreSQL, closes the store's connections and drops the
    /// schema (in the background: `defer` cannot wait).
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
        if let postgres {
            let store = runtime.store
            Task {
                await store.close()
                try? await PostgresStore.runOnce(postgres.base, "DROP SCHEMA \(postgres.schema) CASCADE", logger: TestStore.quiet)
            }
        }
    }

    var app: some ApplicationProtocol { Application(router: buildRouter(runtime)) }

    func identifyBody(
        token: String? = nil, linkedID: String? = nil, components: String = Harness.desktopComponents, publicKey: String? = nil,
        referrer: String = "https://shop.example/cart"
    ) -> ByteBuffer {
        let tokenJSON = token.map { "\"\($0)\"" } ?? "null"
        let linked = linkedID.map { ",\"linkedId\":\"\($0)\"" } ?? ""
        return ByteBuffer(
            string: #"{"v":1,"publicKey":"\#(publicKey ?? boot.publicKey)","token":\#(tokenJSON)\#(linked),"url":"https://shop.example/checkout","referrer":"\#(referrer)","tag":{"cart":3},"components":\#(components)}"#
        )
    }

    static let desktopComponents = #"""
        {"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
         "platform":"Win32","vendor":"Google Inc.","languages":["en-US","en"],"timezone":"Europe/Berlin","timezoneOffset":-60,
         "screen":{"width":1920,"height":1080,"colorDepth":24,"pixelRatio":1},"hardwareConcurrency":8,"deviceMemory":8,
         "maxTouchPoints":0,"canvas":"a1b2c3","webglVendor":"Google Inc. (NVIDIA)","webglRenderer":"ANGLE (NVIDIA GeForce RTX 3060)",
         "audio":124.04347527516074,"fonts":["Arial","Calibri"],"storageQuota":296630877388,"cookiesEnabled":true,"webdriver":false}
        """#

    static let otherComponents = desktopComponents.replacingOccurrences(of: "a1b2c3", with: "ffeedd")
        .replacingOccurrences(of: "RTX 3060", with: "GTX 1080")
}

extension TestResponse {
    var json: JSON { (try? JSONParser.parse(body.readableBytesView)) ?? .null }
    var errorCode: String? { json["error"]?["code"]?.stringValue }
}

func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }
