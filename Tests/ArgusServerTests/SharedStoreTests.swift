import ArgusCore
import ArgusPostgres
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import ArgusServer

/// Two runtimes on one PostgreSQL database, as two instances behind a load balancer: a visitor
/// first identified by one is found by the other once it has followed the store's change feed,
/// and forgotten there once it has been erased through the first.
@Suite(.enabled(if: TestStore.environment["ARGUS_TEST_POSTGRES_URL"] != nil, "set ARGUS_TEST_POSTGRES_URL (scripts/test does)"))
struct SharedStoreTests {
    @Test func aVisitorFirstSeenOnOneInstanceIsFoundOnAnotherAfterItFollowsTheFeed() async throws {
        let (url, base, schema) = try await TestStore.postgresSchema()
        let clock = TestClock()
        func open() async throws -> ArgusRuntime {
            var config = ArgusConfig()
            config.databaseURL = url
            config.masterKey = Self.masterKey
            config.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-test-\(UUID().uuidString)").path
            return try await ArgusRuntime.open(config, clock: clock.clock, logger: TestStore.quiet)
        }
        let a = try await open()
        let boot = try await Provisioning(runtime: a).bootstrap()
        let b = try await open()
        let stale = try await open()
        try await b.identifier.warmUp()  // both load the (empty) index before A's visitor exists
        try await stale.identifier.warmUp()
        let body = Self.identifyBody(publicKey: boot.publicKey)

        let first = try await Application(router: buildRouter(a)).test(.router) { client in
            try await client.execute(uri: "/v1/identify", method: .post, body: body).json
        }
        let visitorID = try #require(first["visitorId"]?.stringValue)
        #expect(first["visitorFound"] == false)
        clock.advance(ms: 60_000)

        // B follows the feed: the same browser (no token) is found there.
        try await b.identifier.followChanges()
        let onB = try await Application(router: buildRouter(b)).test(.router) { client in
            try await client.execute(uri: "/v1/identify", method: .post, body: body).json
        }
        #expect(onB["visitorId"] == .string(visitorID))
        #expect(onB["visitorFound"] == true)
        // An instance that did not follow knows nothing of it (what the feed adds).
        let onStale = try await Application(router: buildRouter(stale)).test(.router) { client in
            try await client.execute(uri: "/v1/identify", method: .post, body: body).json
        }
        #expect(onStale["visitorId"] != .string(visitorID))

        // Erased through A: B drops the visitor at its next poll. The browser is then the visitor
        // the unaware instance made of it (B took that one in from the feed too).
        let erased = try await Application(router: buildRouter(a)).test(.router) { client in
            try await client.execute(
                uri: "/v4/visitors/\(visitorID)", method: .delete, headers: [.authorization: "Bearer \(boot.secretKey)"]
            ).status
        }
        #expect(erased == .ok)
        try await b.identifier.followChanges()
        let afterErasure = try await Application(router: buildRouter(b)).test(.router) { client in
            try await client.execute(uri: "/v1/identify", method: .post, body: body).json
        }
        #expect(afterErasure["visitorId"] != .string(visitorID))
        #expect(afterErasure["visitorId"] == onStale["visitorId"])

        for runtime in [a, b, stale] { await runtime.shutdown() }
        try? await PostgresStore.runOnce(base, "DROP SCHEMA \(schema) CASCADE", logger: TestStore.quiet)
    }

    static let masterKey = MasterKeyFormat.generate().text

    static func identifyBody(publicKey: String) -> ByteBuffer {
        ByteBuffer(
            string: #"{"v":1,"publicKey":"\#(publicKey)","token":null,"url":"https://shop.example/checkout","referrer":"https://shop.example/cart","components":\#(Harness.desktopComponents)}"#
        )
    }
}
