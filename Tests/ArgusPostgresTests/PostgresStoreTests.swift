import ArgusCore
import ArgusPostgres
import ArgusStorage
import ArgusTestSupport
import Foundation
import PostgresNIO
import Testing

@Suite struct PostgresURLTests {
    @Test func partsArePercentDecoded() throws {
        let u = try PostgresURL("postgres://ar%40gus:p%3Aw%2Fd@db.internal:6543/argus%20prod?sslmode=disable&search_path=tenant_1")
        #expect(u == PostgresURL(host: "db.internal", port: 6543, user: "ar@gus", password: "p:w/d", database: "argus prod", searchPath: "tenant_1"))
        #expect(try PostgresURL("postgresql://app@localhost/db") == PostgresURL(host: "localhost", user: "app", database: "db"))
        #expect(try PostgresURL("postgres://app:pw@[::1]:5433/db").host == "::1")
        #expect(try PostgresURL("postgres://app:pw@[::1]:5433/db").port == 5433)
        // No database: the user's name, as libpq does.
        #expect(try PostgresURL("postgres://app:pw@h").database == "app")
        #expect(try PostgresURL("postgres://app:pw@h/d?connect_timeout=2").connectTimeoutSeconds == 2)
    }

    @Test func theDescriptionNeverShowsThePassword() throws {
        let u = try PostgresURL("postgres://app:s3cret-pw@h:1/d")
        #expect(u.description == "postgres://app@h:1/d")
        #expect(!"\(u)".contains("s3cret"))
    }

    @Test func badURLsAreRefusedWithTheReason() {
        let cases: [(String, String)] = [
            ("mysql://a@h/d", "scheme"),
            ("postgres://h/d", "user name is required"),
            ("postgres://a@h:99999/d", "bad port"),
            ("postgres://a@h/d?sslmode=require", "sslmode=require is not supported"),
            ("postgres://a@h/d?sslmode=verify-full", "sslmode=verify-full is not supported"),
            ("postgres://a@h/d?pool=3", "unknown parameter 'pool'"),
            ("postgres://a@h/d?search_path=a;drop", "search_path must be"),
            ("postgres://a%zz@h/d", "percent-encoding"),
        ]
        for (text, reason) in cases {
            #expect {
                _ = try PostgresURL(text)
            } throws: { error in
                "\(error)".contains(reason) && "\(error)".hasPrefix("ARGUS_DATABASE_URL")
            }
        }
    }
}

@Suite(.enabled(if: TestPostgres.configured, "set ARGUS_TEST_POSTGRES_URL (scripts/test does)"))
struct PostgresConnectionTests {
    @Test func aWrongPasswordFailsAtOnceWithTheServersReason() async throws {
        var url = try TestPostgres.base()
        url.password = "wrong-password-\(UUID().uuidString.prefix(6))"
        let start = ContinuousClock.now
        let error = await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(url, logger: TestPostgres.logger) }
        // Far below the pool's minute of retries (generous: the suite runs in parallel on two cores).
        #expect(ContinuousClock.now - start < .seconds(20))
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("\(url.host):\(url.port)"))
        #expect(text.contains("database '\(url.database)'"))
        #expect(text.contains("password authentication failed"))
        #expect(!text.contains(url.password!))
    }

    @Test func anUnreachableServerFailsWithinTheTimeout() async throws {
        var url = try TestPostgres.base()
        // A port nothing listens on (bound, then released).
        let socket = try LoopbackPort.free()
        url.port = socket
        url.connectTimeoutSeconds = 2
        let start = ContinuousClock.now
        let error = await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(url, logger: TestPostgres.logger) }
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect("\(error.map { "\($0)" } ?? "")".contains("cannot connect to PostgreSQL at \(url.host):\(socket)"))
    }

    @Test func aMissingDatabaseOrSchemaIsNamed() async throws {
        var url = try TestPostgres.base()
        url.database = "no_such_db_\(UUID().uuidString.prefix(6).lowercased())"
        let error = await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(url, logger: TestPostgres.logger) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("does not exist"))
        var schema = try TestPostgres.base()
        schema.searchPath = "no_such_schema"
        let error2 = await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(schema, logger: TestPostgres.logger) }
        #expect("\(error2.map { "\($0)" } ?? "")".contains("schema 'no_such_schema'"))
    }

    @Test func migrationsAreIdempotentAndSafeWhenTwoInstancesStartAtOnce() async throws {
        let scratch = try await Scratch.make()
        let a = try await PostgresStore.open(scratch.url, logger: TestPostgres.logger)
        let b = try await PostgresStore.open(scratch.url, logger: TestPostgres.logger)
        async let ma: Void = a.migrate()
        async let mb: Void = b.migrate()
        _ = try await (ma, mb)
        try await a.migrate()
        #expect(try await a.appliedMigrations() == ["v1_initial", "v2_events_one_time_index"])
        try await a.createEnvironment(Make.environment())
        #expect(try await b.environments().map(\.id) == ["env_a"])
        await a.close()
        await b.close()
        await scratch.drop()
    }
}

@Suite(.enabled(if: TestPostgres.configured, "set ARGUS_TEST_POSTGRES_URL (scripts/test does)"))
struct PostgresRecordTests {
    @Test func settingsKeepTheFirstValue() async throws {
        try await withStore { (store, _) async throws in
            #expect(try await store.setting("s") == nil)
            #expect(try await store.settingInsertIfAbsent("s", value: [1, 2]) == [1, 2])
            #expect(try await store.settingInsertIfAbsent("s", value: [3]) == [1, 2])
            #expect(try await store.setting("s") == [1, 2])
        }
    }

    @Test func environmentsAndTheirConflicts() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(EnvironmentRecord(id: "env_b", name: "b", createdAt: 2))
            try await store.createEnvironment(EnvironmentRecord(id: "env_a", name: "a", createdAt: 2))
            await #expect(throws: StoreError.conflict("environment 'a' exists")) {
                try await store.createEnvironment(EnvironmentRecord(id: "env_c", name: "a", createdAt: 3))
            }
            #expect(try await store.environments().map(\.name) == ["a", "b"])
            try await store.setOpenResponse(environmentID: "env_a", enabled: true)
            try await store.setRetention(environmentID: "env_a", days: 30)
            #expect(try await store.environment(named: "a") == EnvironmentRecord(id: "env_a", name: "a", createdAt: 2, retentionDays: 30, openResponse: true))
            #expect(try await store.environment(id: "env_b")?.retentionDays == 365)
            #expect(try await store.environment(id: "nope") == nil)
        }
    }

    @Test func encryptionKeysAllowOneActivePerEnvironment() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            let k1 = EncryptionKeyRecord(id: "ek1", environmentID: "env_a", sealedKey: [1], status: .active, createdAt: 1, activatedAt: 1)
            var k2 = EncryptionKeyRecord(id: "ek2", environmentID: "env_a", sealedKey: [2], status: .pending, createdAt: 2)
            try await store.saveEncryptionKeys([k1, k2])
            k2.status = .active
            await #expect(throws: StoreError.conflict("an environment can have only one active encryption key")) {
                try await store.saveEncryptionKeys([k2])
            }
            // A rotation: the old key leaves the active state in the same transaction (given after the new one).
            var old = k1
            old.status = .deactivated
            old.deactivatedAt = 5
            k2.previousKeyID = "ek1"
            try await store.saveEncryptionKeys([k2, old])
            try await store.addSealCounts(["ek2": 3, "ek1": 1])
            try await store.addSealCounts(["ek2": 4])
            let keys = try await store.encryptionKeys(environmentID: "env_a")
            #expect(keys.map(\.status) == [.deactivated, .active])
            #expect(keys.map(\.sealCount) == [1, 7])
            #expect(keys[1].previousKeyID == "ek1")
            try await store.deleteEncryptionKey(id: "ek1")
            #expect(try await store.encryptionKeys(environmentID: "env_a").map(\.id) == ["ek2"])
        }
    }

    @Test func keysRoundTripAndConflict() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            let pk = KeyRecord(
                id: "k1", environmentID: "env_a", kind: .public, publicValue: "pk_1", scopes: [],
                allowedOrigins: ["https://a.example", "https://b.example"], name: "web", createdAt: 5)
            let sk = KeyRecord(
                id: "k2", environmentID: nil, kind: .secret, secretHash: "h", sealedSecret: [9, 9], scopes: Scope.allCases,
                createdAt: 6, rateLimitPerSecond: 7)
            try await store.insertKey(pk)
            try await store.insertKey(sk)
            await #expect(throws: StoreError.conflict("key exists")) { try await store.insertKey(pk) }
            // A key of an environment that does not exist: refused as SQLite's foreign key refuses it.
            await #expect(throws: StoreError.self) {
                try await store.insertKey(KeyRecord(id: "k3", environmentID: "nope", kind: .secret, secretHash: "x", createdAt: 1))
            }
            #expect(try await store.key(publicValue: "pk_1") == pk)
            #expect(try await store.key(secretHash: "h") == sk)
            #expect(try await store.keys(environmentID: nil, kind: .secret) == [sk])
            #expect(try await store.keys(environmentID: "env_a", kind: .public) == [pk])
            #expect(try await store.revokeKey(id: "k2", at: 9))
            #expect(!(try await store.revokeKey(id: "k2", at: 10)))
            #expect(try await store.key(secretHash: "h")?.revokedAt == 9)
        }
    }

    @Test func eventsVisitorsAndTheDeviceAggregate() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            let e1 = Make.event(
                "ev1", visitor: "v1", at: 100, linked: "order-1", risk: RiskSummary(score: 70, flags: ["vpn", "tor"]), country: "NL",
                city: "Amsterdam")
            try await store.recordEvent(e1, visitor: Make.visitor("v1", at: 100, profile: "one"))
            // An older event arrives late: counts, but the latest event's verdict stays.
            let e0 = Make.event("ev0", visitor: "v1", at: 50, risk: RiskSummary(score: 10, flags: []), country: "DE")
            try await store.recordEvent(e0, visitor: Make.visitor("v1", at: 50, profile: "two"))
            #expect(try await store.event(id: "ev1", environmentID: nil) == e1)
            #expect(try await store.event(id: "ev1", environmentID: "env_b") == nil)
            let v = try #require(try await store.visitor(id: "v1", environmentID: "env_a"))
            #expect(v.firstSeenAt == 50 && v.lastSeenAt == 100 && v.eventCount == 2 && v.profile == Array("two".utf8))
            let d = try #require(try await store.device(id: "v1", environmentID: "env_a"))
            #expect(d == DeviceRecord(
                environmentID: "env_a", id: "v1", createdAt: 50, lastSeenAt: 100, lastSubmittedAt: 100,
                risk: RiskSummary(score: 70, flags: ["vpn", "tor"]), country: "NL", city: "Amsterdam"))
            #expect(try await store.device(id: "v1", environmentID: nil) == d)
            #expect(try await store.eventCount(environmentID: "env_a") == 2)
            #expect(try await store.eventCount(environmentID: nil) == 2)
            #expect(try await store.visitors(environmentID: "env_a").map(\.id) == ["v1"])
            // A join: the joined visitor's profile changes with the event, in its transaction.
            try await store.recordEvent(Make.event("ev2", visitor: "v2", at: 200), visitor: Make.visitor("v2", at: 200))
            var joined = Make.visitor("v2", at: 200, profile: "joined-into-v1")
            joined.eventCount = 1
            try await store.recordEvent(Make.event("ev3", visitor: "v1", at: 300), visitor: Make.visitor("v1", at: 300, profile: "three"), joined: joined)
            #expect(try await store.visitor(id: "v2", environmentID: "env_a")?.profile == Array("joined-into-v1".utf8))
            #expect(try await store.visitor(id: "v1", environmentID: "env_a")?.eventCount == 3)
            // Updating an event's document and searchable columns.
            #expect(try await store.updateEvent(id: "ev1", environmentID: "env_a", document: Array("{}".utf8), linkedID: nil, suspect: true))
            #expect(!(try await store.updateEvent(id: "ev1", environmentID: "env_b", document: [], linkedID: nil, suspect: true)))
            let updated = try #require(try await store.event(id: "ev1", environmentID: nil))
            #expect(updated.document == Array("{}".utf8) && updated.linkedID == nil && updated.suspect)
            // A duplicate event id fails its own writer only.
            await #expect(throws: (any Error).self) {
                try await store.recordEvent(Make.event("ev1", visitor: "v9", at: 400), visitor: Make.visitor("v9", at: 400))
            }
            #expect(try await store.visitor(id: "v9", environmentID: "env_a") == nil)
        }
    }

    @Test func concurrentWritersAreGroupedAndABadItemFailsAlone() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            try await store.recordEvent(Make.event("dup", visitor: "v0", at: 1), visitor: Make.visitor("v0", at: 1))
            let results = await concurrently(60) { i in
                // Several events per visitor in one batch: the visitor row ends as written one by one.
                let id = i == 17 ? "dup" : "e\(i)"
                try await store.recordEvent(
                    Make.event(id, visitor: "v\(i % 5)", at: Int64(10 + i)), visitor: Make.visitor("v\(i % 5)", at: Int64(10 + i)))
            }
            #expect(results.filter { !$0.value }.map(\.key) == [17])
            #expect(try await store.eventCount(environmentID: "env_a") == 60)
            var total: Int64 = 0
            for v in try await store.visitors(environmentID: "env_a") { total += v.eventCount }
            #expect(total == 60)
            #expect(try await store.visitor(id: "v2", environmentID: "env_a")?.eventCount == 11)
            #expect(try await store.device(id: "v1", environmentID: "env_a")?.lastSeenAt == 10 + 56)
        }
    }

    @Test func searchPagesByKeysetAndCountsUpToTheCap() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            try await store.createEnvironment(Make.environment("env_b"))
            for i in 0..<25 {
                let doc = #"{"event_id":"e\#(i)","bot":"\#(i % 2 == 0 ? "bad" : "not_detected")","vpn":\#(i % 3 == 0),"score":\#(i)}"#
                // Two events share each timestamp: the id breaks the tie (byte order, as SQLite's).
                try await store.recordEvent(
                    Make.event("e\(String(format: "%02d", i))\(i % 2 == 0 ? "A" : "b")", visitor: "v\(i % 4)", at: Int64(1000 + i / 2),
                    ip: i % 5 == 0 ? "10.0.0.1" : "10.0.0.2", document: doc),
                    visitor: Make.visitor("v\(i % 4)", at: Int64(1000 + i / 2)))
            }
            try await store.recordEvent(Make.event("other", visitor: "w", at: 1005, env: "env_b"), visitor: Make.visitor("w", at: 1005, env: "env_b"))
            var q = EventQuery(environmentID: "env_a", start: 0, end: 5000, limit: 7)
            var seen: [String] = []
            while true {
                let page = try await store.searchEvents(q)
                seen += page.map(\.id)
                guard page.count == q.limit, let last = page.last else { break }
                q.after = EventCursor(timestamp: last.timestamp, id: last.id)
            }
            let all = try await store.searchEvents(EventQuery(environmentID: "env_a", start: 0, end: 5000, limit: 100))
            #expect(seen == all.map(\.id))
            #expect(seen.count == 25)
            let keys = all.map { ($0.timestamp, Array($0.id.utf8)) }
            #expect(zip(keys, keys.dropFirst()).allSatisfy { a, b in a.0 > b.0 || (a.0 == b.0 && a.1.lexicographicallyPrecedes(b.1) == false) })
            let oldest = try await store.searchEvents(EventQuery(environmentID: nil, start: 0, end: 5000, reverse: true, limit: 3))
            #expect(oldest.map(\.id) == ["e00A", "e01b", "e02A"])
            #expect(try await store.countEvents(EventQuery(environmentID: nil, start: 0, end: 5000), cap: 10) == 10)
            #expect(try await store.countEvents(EventQuery(environmentID: nil, start: 0, end: 5000), cap: 1000) == 26)
            #expect(try await store.countEvents(EventQuery(environmentID: "env_a", ipAddress: "10.0.0.1", start: 0, end: 5000), cap: 100) == 5)
            #expect(try await store.countEvents(EventQuery(environmentID: "env_a", visitorID: "v1", start: 1003, end: 5000), cap: 100) == 4)
            var signals = EventQuery(environmentID: "env_a", start: 0, end: 5000, limit: 100)
            signals.signals = [SignalFilter(path: ["bot"], oneOf: [.string("bad")]), SignalFilter(path: ["vpn"], oneOf: [.bool(true)])]
            #expect(Set(try await store.searchEvents(signals).map(\.id)) == ["e00A", "e06A", "e12A", "e18A", "e24A"])
            signals.signals = [SignalFilter(path: ["score"], oneOf: [.atLeast(22)]), SignalFilter(path: ["bot"], oneOf: [.string("bad"), .string("good")])]
            #expect(Set(try await store.searchEvents(signals).map(\.id)) == ["e22A", "e24A"])
            signals.signals = [SignalFilter(path: ["missing"], oneOf: [.bool(false)])]
            #expect(try await store.searchEvents(signals).isEmpty)
            signals.signals = [SignalFilter(path: ["b'ad"], oneOf: [.bool(false)])]
            #expect(try await store.searchEvents(signals).isEmpty)
        }
    }

    @Test func devicesPageAndFilter() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            for i in 0..<12 {
                try await store.recordEvent(
                    Make.event("e\(i)", visitor: "d\(String(format: "%02d", i))", at: Int64(100 + i % 4),
                        risk: RiskSummary(score: i * 8, flags: i % 3 == 0 ? ["vpn"] : ["x_y"]), country: i % 2 == 0 ? "NL" : "FR"),
                    visitor: Make.visitor("d\(String(format: "%02d", i))", at: Int64(100 + i % 4)))
            }
            var q = DeviceQuery(environmentID: "env_a", limit: 5)
            var ids: [String] = []
            while true {
                let page = try await store.devices(q)
                ids += page.map(\.id)
                guard page.count == q.limit, let last = page.last else { break }
                q.after = DeviceCursor(last, sort: q.sort)
            }
            #expect(ids == ["d11", "d07", "d03", "d10", "d06", "d02", "d09", "d05", "d01", "d08", "d04", "d00"])
            var ws = DeviceQuery(environmentID: nil, sort: .score, descending: false, limit: 4)
            ws.after = DeviceCursor(environmentID: "env_a", value: 40, id: "d05")
            #expect(try await store.devices(ws).map(\.id) == ["d06", "d07", "d08", "d09"])
            #expect(try await store.devices(DeviceQuery(environmentID: "env_a", levels: [.high, .critical], limit: 50)).count == 4)
            #expect(try await store.devices(DeviceQuery(environmentID: "env_a", flag: "vpn", limit: 50)).count == 4)
            #expect(try await store.devices(DeviceQuery(environmentID: "env_a", flag: "x_", limit: 50)).isEmpty)
            #expect(try await store.devices(DeviceQuery(environmentID: "env_a", country: "FR", seenSince: 103, limit: 50)).map(\.id) == ["d11", "d07", "d03"])
            // Retention: expired devices, purged with their events and visitors, unless seen again meanwhile.
            #expect(try await store.expiredDevices(environmentID: "env_a", before: 101, limit: 10).sorted() == ["d00", "d04", "d08"])
            try await store.recordEvent(Make.event("again", visitor: "d04", at: 500), visitor: Make.visitor("d04", at: 500))
            #expect(try await store.purgeDevices(ids: ["d00", "d04", "d08"], environmentID: "env_a", before: 101) == 2)
            #expect(try await store.device(id: "d04", environmentID: "env_a") != nil)
            #expect(try await store.visitor(id: "d00", environmentID: "env_a") == nil)
            #expect(try await store.event(id: "e0", environmentID: nil) == nil)
            #expect(try await store.purgeEvents(environmentID: "env_a", before: 103, limit: 3) == 3)
            #expect(try await store.purgeEvents(environmentID: "env_a", before: 103, limit: 100) == 4)
            #expect(try await store.eventCount(environmentID: "env_a") == 4)
        }
    }

    @Test func erasureTakesEventsVisitorsDevicesAndUndeliveredOutboxRows() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            try await store.createWebhook(WebhookEndpointRecord(id: "wh", environmentID: "env_a", url: "https://h.example", sealedSecret: [1], createdAt: 1))
            for i in 0..<3 {
                try await store.recordEvent(Make.event("e\(i)", visitor: "gone", at: Int64(i)), visitor: Make.visitor("gone", at: Int64(i)))
            }
            try await store.recordEvent(Make.event("k", visitor: "kept", at: 9), visitor: Make.visitor("kept", at: 9))
            #expect(try await store.webhookDeliveryCounts(endpointID: "wh") == [.pending: 4])
            #expect(try await store.deleteVisitors(ids: ["gone", "gone", "never"], environmentID: "env_a") == 3)
            #expect(try await store.deleteVisitors(ids: ["never"], environmentID: "env_a") == nil)
            #expect(try await store.device(id: "gone", environmentID: "env_a") == nil)
            #expect(try await store.visitor(id: "gone", environmentID: "env_a") == nil)
            #expect(try await store.eventCount(environmentID: "env_a") == 1)
            #expect(try await store.webhookDeliveryCounts(endpointID: "wh") == [.pending: 1])
        }
    }
}
