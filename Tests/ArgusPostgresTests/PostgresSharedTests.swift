import ArgusCore
import ArgusPostgres
import ArgusStorage
import Foundation
import PostgresNIO
import Testing

/// What several instances share: the outbox and its leases, prefetch claims, BIN counts, the
/// change feed of visitors, and durability across stores.
@Suite(.enabled(if: TestPostgres.configured, "set ARGUS_TEST_POSTGRES_URL (scripts/test does)"))
struct PostgresSharedTests {
    func attempt(_ id: String, _ n: Int, at t: Int64, code: Int? = 200) -> WebhookAttemptRecord {
        WebhookAttemptRecord(deliveryID: id, number: n, startedAt: t, latencyMs: 4, statusCode: code, error: code == nil ? "refused" : nil)
    }

    @Test func webhookEndpointsOutboxAndLog() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            let all = WebhookEndpointRecord(
                id: "wh_all", environmentID: "env_a", url: "https://a.example/h", basicAuthUser: "u", sealedPassword: [7],
                sealedSecret: [1, 2], createdAt: 1)
            let bad = WebhookEndpointRecord(
                id: "wh_bad", environmentID: "env_a", url: "https://b.example/h", sealedSecret: [3], filter: WebhookFilter(bot: ["bad"]),
                createdAt: 2)
            try await store.createWebhook(all)
            try await store.createWebhook(bad)
            await #expect(throws: StoreError.conflict("webhook 'wh_all' exists")) { try await store.createWebhook(all) }
            #expect(try await store.webhook(id: "wh_all") == all)
            #expect(try await store.webhooks(environmentID: "env_a").map(\.id) == ["wh_all", "wh_bad"])
            try await store.recordEvent(
                Make.event("e1", visitor: "v", at: 1_000, document: #"{"bot":"bad"}"#), visitor: Make.visitor("v", at: 1_000))
            try await store.recordEvent(
                Make.event("e2", visitor: "v", at: 2_000, document: #"{"bot":"good"}"#), visitor: Make.visitor("v", at: 2_000))
            #expect(try await store.webhookDeliveryCounts(endpointID: "wh_all") == [.pending: 2])
            #expect(try await store.webhookDeliveryCounts(endpointID: "wh_bad") == [.pending: 1])
            let list = try await store.webhookDeliveries(endpointID: "wh_all", status: nil, limit: 10, before: nil)
            #expect(list.map(\.eventID) == ["e2", "e1"])
            #expect(try await store.webhookDeliveries(endpointID: "wh_all", status: .pending, limit: 10, before: list[0].id).map(\.eventID) == ["e1"])

            // Claims: due ones only, leased; completions need the lease.
            #expect(try await store.claimWebhookDeliveries(nowMs: 500, leaseMs: 1_000, limit: 10).isEmpty)
            let claimed = try await store.claimWebhookDeliveries(nowMs: 1_500, leaseMs: 30_000, limit: 10)
            #expect(claimed.count == 2)
            #expect(Set(claimed.map(\.endpoint.id)) == ["wh_all", "wh_bad"])
            #expect(claimed.allSatisfy { $0.document == Array(#"{"bot":"bad"}"#.utf8) })
            #expect(try await store.claimWebhookDeliveries(nowMs: 1_600, leaseMs: 30_000, limit: 10).isEmpty)
            let first = try #require(claimed.first { $0.endpoint.id == "wh_all" })
            let second = try #require(claimed.first { $0.endpoint.id == "wh_bad" })
            let wrong = WebhookCompletion(deliveryID: first.delivery.id, leaseToken: "stolen", attempt: attempt(first.delivery.id, 1, at: 1_600), outcome: .delivered)
            let retry = WebhookCompletion(
                deliveryID: first.delivery.id, leaseToken: first.leaseToken, attempt: attempt(first.delivery.id, 1, at: 1_601, code: nil),
                outcome: .retry(atMs: 5_000))
            let fail = WebhookCompletion(
                deliveryID: second.delivery.id, leaseToken: second.leaseToken, attempt: attempt(second.delivery.id, 1, at: 1_602, code: 500),
                outcome: .failed)
            #expect(try await store.completeWebhookDeliveries([wrong, retry, fail]) == [false, true, true])
            let after = try #require(try await store.webhookDelivery(id: first.delivery.id))
            #expect(after.status == .pending && after.attempts == 1 && after.nextAttemptAt == 5_000 && after.lastError == "refused")
            // Both attempts are logged, lease or not, oldest first.
            #expect(try await store.webhookAttempts(deliveryID: first.delivery.id).map(\.startedAt) == [1_600, 1_601])
            #expect(try await store.webhookDelivery(id: second.delivery.id)?.status == .failed)
            #expect(try await store.redeliverWebhookDeliveries(endpointID: "wh_bad", deliveryID: nil, nowMs: 9_000) == 1)
            #expect(try await store.webhookDelivery(id: second.delivery.id)?.queuedAt == 9_000)

            // Updates and deletion (with deliveries and their log).
            var changed = all
            changed.url = "https://a.example/new"
            changed.enabled = false
            changed.filter = WebhookFilter(minSuspectScore: 3)
            #expect(try await store.updateWebhook(changed))
            #expect(try await store.webhook(id: "wh_all") == changed)
            #expect(try await store.deleteWebhook(id: "wh_all"))
            #expect(!(try await store.deleteWebhook(id: "wh_all")))
            #expect(try await store.webhookDelivery(id: first.delivery.id) == nil)
            #expect(try await store.webhookAttempts(deliveryID: first.delivery.id).isEmpty)
        }
    }

    @Test func twoInstancesNeverClaimTheSameDeliveryOrTask() async throws {
        try await withStore { a, scratch in
            let b = try await scratch.open()
            try await a.createEnvironment(Make.environment())
            try await a.createWebhook(WebhookEndpointRecord(id: "wh", environmentID: "env_a", url: "https://h.example", sealedSecret: [1], createdAt: 1))
            for i in 0..<120 {
                try await a.recordEvent(Make.event("e\(i)", visitor: "v\(i % 9)", at: Int64(i)), visitor: Make.visitor("v\(i % 9)", at: Int64(i)))
                _ = try await a.insertPrefetch(
                    PrefetchTask(requestID: "r\(i)", environmentID: "env_a", subscriberID: 1, sessionID: "s", userID: "u", createdAt: Int64(i)))
            }
            let stores = [a, b]
            let (deliveries, tasks) = try await withThrowingTaskGroup(of: ([String], [String]).self) { group in
                for i in 0..<6 {
                    let store = stores[i % 2]
                    group.addTask {
                        var mine: ([String], [String]) = ([], [])
                        while true {
                            let d = try await store.claimWebhookDeliveries(nowMs: 1_000, leaseMs: 60_000, limit: 7)
                            let t = try await store.claimDuePrefetches(now: 1_000, leaseUntil: 61_000, limit: 5)
                            if d.isEmpty && t.isEmpty { return mine }
                            mine.0 += d.map(\.delivery.id)
                            mine.1 += t.map(\.requestID)
                        }
                    }
                }
                var all: ([String], [String]) = ([], [])
                for try await m in group {
                    all.0 += m.0
                    all.1 += m.1
                }
                return all
            }
            #expect(deliveries.count == 120 && Set(deliveries).count == 120)
            #expect(tasks.count == 120 && Set(tasks).count == 120)
            // A lease that runs out comes due again, for the other instance.
            let again = try await b.claimWebhookDeliveries(nowMs: 62_000, leaseMs: 60_000, limit: 500)
            #expect(again.count == 120)
            await b.close()
        }
    }

    @Test func prefetchTasksAndBINObservations() async throws {
        try await withStore { store, scratch in
            let t = PrefetchTask(requestID: "r1", environmentID: "env_a", subscriberID: 4, sessionID: "s1", userID: "u1", createdAt: 10)
            let (stored, created) = try await store.insertPrefetch(t)
            #expect(created && stored == t)
            var other = t
            other.sessionID = "changed"
            let (existing, createdAgain) = try await store.insertPrefetch(other)
            #expect(!createdAgain && existing == t)
            #expect(try await store.claimDuePrefetches(now: 9, leaseUntil: 100, limit: 5).isEmpty)
            var claimed = try #require(try await store.claimDuePrefetches(now: 10, leaseUntil: 100, limit: 5).first)
            #expect(try await store.claimDuePrefetches(now: 50, leaseUntil: 100, limit: 5).isEmpty)
            claimed.status = .done
            claimed.attempts = 1
            claimed.fetchedAt = 60
            claimed.updatedAt = 60
            claimed.result = Array(#"{"request_id":"r1"}"#.utf8)
            try await store.updatePrefetch(claimed)
            #expect(try await store.prefetch(requestID: "r1") == claimed)
            #expect(try await store.latestPrefetch(environmentID: "env_a", sessionID: "s1", userID: nil) == claimed)
            #expect(try await store.latestPrefetch(environmentID: "env_b", sessionID: "s1", userID: nil) == nil)
            #expect(try await store.latestPrefetch(environmentID: nil, sessionID: "nope", userID: "u1") == claimed)

            #expect(try await store.observeBIN("411111", subjects: ["device:d", "user:a"], at: 100, since: [50, 0]) == [[1, 1], [1, 1]])
            #expect(try await store.observeBIN("422222", subjects: ["user:a"], at: 150, since: [120, 0]) == [[1, 2]])
            #expect(try await store.observeBIN("411111", subjects: ["user:a"], at: 160, since: [155, 0]) == [[1, 2]])
            // Another instance (a second store) sees the same counts; rows older than the oldest window go.
            let b = try await scratch.open()
            #expect(try await b.observeBIN("433333", subjects: ["user:a"], at: 200, since: [160, 155]) == [[2, 2]])
            await b.close()
        }
    }

    @Test func recordEventIsDurableForANewStore() async throws {
        let scratch = try await Scratch.make()
        let a = try await scratch.open()
        try await a.createEnvironment(Make.environment())
        let e = Make.event("durable", visitor: "v", at: 42, linked: "l")
        try await a.recordEvent(e, visitor: Make.visitor("v", at: 42))
        await a.close()
        let b = try await scratch.open()
        #expect(try await b.event(id: "durable", environmentID: "env_a") == e)
        #expect(try await b.visitor(id: "v", environmentID: "env_a")?.eventCount == 1)
        await b.close()
        await scratch.drop()
    }

    @Test func largeBodiesAreStoredCompressedAndReadBackExactly() async throws {
        try await withStore { store, scratch in
            try await store.createEnvironment(Make.environment())
            var e = Make.event("big", visitor: "v", at: 1)
            e.components = Array(("{\"components\":{" + (0..<200).map { "\"k\($0)\":\"value \($0)\"" }.joined(separator: ",") + "}}").utf8)
            try await store.recordEvent(e, visitor: Make.visitor("v", at: 1))
            #expect(try await store.event(id: "big", environmentID: nil)?.components == e.components)
            let c = try await scratch.connect()
            let rows = try await c.query("SELECT length(components) AS n, get_byte(components, 0) AS m FROM events", logger: TestPostgres.logger)
            for try await (n, m) in rows.decode((Int32, Int32).self) {
                #expect(Int(n) < e.components.count / 2)
                #expect(m == 1)  // the dictionary marker, as SQLite stores it
            }
            try await c.close()
        }
    }
}

@Suite(.enabled(if: TestPostgres.configured, "set ARGUS_TEST_POSTGRES_URL (scripts/test does)"))
struct PostgresChangeFeedTests {
    /// Reads the feed to its end from `cursor` (following `more`).
    func drain(_ store: PostgresStore, from cursor: VisitorChangeCursor, limit: Int = 100) async throws
        -> (visitors: [String], erased: [String], cursor: VisitorChangeCursor, polls: Int)
    {
        var cursor = cursor
        var visitors: [String] = []
        var erased: [String] = []
        var polls = 0
        while true {
            let page = try await store.visitorChanges(environmentID: "env_a", after: cursor, limit: limit)
            polls += 1
            visitors += page.visitors.map(\.id)
            erased += page.erased
            cursor = page.cursor
            if !page.more { return (visitors, erased, cursor, polls) }
        }
    }

    @Test func writesAndErasuresOfOtherInstancesAreSeen() async throws {
        try await withStore { a, scratch in
            let b = try await scratch.open()
            #expect(a.sharedByInstances)
            try await a.createEnvironment(Make.environment())
            try await a.createEnvironment(Make.environment("env_b"))
            let start = try await b.visitorChangeCursor(environmentID: "env_a")
            try await a.recordEvent(Make.event("e1", visitor: "v1", at: 1), visitor: Make.visitor("v1", at: 1, profile: "first"))
            try await a.recordEvent(Make.event("e2", visitor: "v2", at: 2), visitor: Make.visitor("v2", at: 2))
            try await a.recordEvent(Make.event("x", visitor: "w", at: 2, env: "env_b"), visitor: Make.visitor("w", at: 2, env: "env_b"))
            let first = try await drain(b, from: start)
            #expect(Set(first.visitors) == ["v1", "v2"])
            #expect(first.erased.isEmpty)
            let page = try await b.visitorChanges(environmentID: "env_a", after: start, limit: 10)
            #expect(page.visitors.first { $0.id == "v1" }?.profile == Array("first".utf8))
            // Nothing new: the next poll repeats at most what was committed around the last one, never less.
            try await a.recordEvent(Make.event("e3", visitor: "v1", at: 3), visitor: Make.visitor("v1", at: 3, profile: "second"))
            _ = try await a.deleteVisitors(ids: ["v2"], environmentID: "env_a")
            let second = try await b.visitorChanges(environmentID: "env_a", after: first.cursor, limit: 10)
            #expect(second.visitors.map(\.id) == ["v1"])
            #expect(second.visitors.first?.profile == Array("second".utf8))
            #expect(second.erased == ["v2"])
            // A visitor written again after its erasure is a visitor again, not an erasure.
            try await a.recordEvent(Make.event("e4", visitor: "v2", at: 4), visitor: Make.visitor("v2", at: 4))
            let third = try await b.visitorChanges(environmentID: "env_a", after: second.cursor, limit: 10)
            #expect(third.visitors.map(\.id).contains("v2"))
            #expect(!third.erased.contains("v2"))
            // Retention purges are erasures too.
            #expect(try await a.purgeDevices(ids: ["v1"], environmentID: "env_a", before: 100) == 1)
            let fourth = try await b.visitorChanges(environmentID: "env_a", after: third.cursor, limit: 10)
            #expect(fourth.erased == ["v1"])
            await b.close()
        }
    }

    @Test func erasuresOlderThanADayArePrunedByMaintenance() async throws {
        try await withStore { store, scratch in
            try await store.createEnvironment(Make.environment())
            for id in ["old", "new"] {
                try await store.recordEvent(Make.event("e-\(id)", visitor: id, at: 1), visitor: Make.visitor(id, at: 1))
            }
            let start = try await store.visitorChangeCursor(environmentID: "env_a")
            _ = try await store.deleteVisitors(ids: ["old", "new"], environmentID: "env_a")
            let c = try await scratch.connect()
            try await run(c, "UPDATE visitor_erasures SET erased_at = now() - interval '25 hours' WHERE id = 'old'")
            try await c.close()
            try await store.maintain()
            #expect(Set(try await drain(store, from: start).erased) == ["new"])
        }
    }

    @Test func aLimitPagesThroughEveryChange() async throws {
        try await withStore { store, _ in
            try await store.createEnvironment(Make.environment())
            let start = try await store.visitorChangeCursor(environmentID: "env_a")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        try await store.recordEvent(Make.event("e\(i)", visitor: "v\(i)", at: Int64(i)), visitor: Make.visitor("v\(i)", at: Int64(i)))
                    }
                }
                try await group.waitForAll()
            }
            _ = try await store.deleteVisitors(ids: ["v3", "v4"], environmentID: "env_a")
            let all = try await drain(store, from: start, limit: 6)
            #expect(all.polls >= 7)
            #expect(Set(all.visitors) == Set((0..<40).map { "v\($0)" }).subtracting(["v3", "v4"]))
            #expect(Set(all.erased) == ["v3", "v4"])
            #expect(all.cursor.visitorID.isEmpty)
        }
    }

    /// The case a "highest id seen" cursor gets wrong: a transaction that started first (lower id)
    /// commits after a later one has been polled. The feed must still report it.
    @Test func aTransactionThatCommitsAfterALaterOneIsNotSkipped() async throws {
        try await withStore { store, scratch in
            try await store.createEnvironment(Make.environment())
            let cursor = try await store.visitorChangeCursor(environmentID: "env_a")
            // Another instance's transaction: starts, writes a visitor (taking its transaction id), and waits.
            let slow = try await scratch.connect()
            try await run(slow, "BEGIN")
            try await run(
                slow,
                """
                INSERT INTO visitors (environment_id, id, first_seen_at, last_seen_at, event_count, profile)
                VALUES ('env_a', 'slow', 1, 1, 1, '\\x01')
                """)
            // A later transaction commits, and a poll sees it.
            try await store.recordEvent(Make.event("fast", visitor: "fast", at: 2), visitor: Make.visitor("fast", at: 2))
            let first = try await drain(store, from: cursor)
            #expect(first.visitors == ["fast"])
            // Now the earlier transaction commits: the next poll reports it.
            try await run(slow, "COMMIT")
            try await slow.close()
            let second = try await drain(store, from: first.cursor)
            #expect(second.visitors.contains("slow"))
        }
    }

    @Test func aCursorTakenBeforeTheStartupReadCoversEverythingAfterIt() async throws {
        try await withStore { a, scratch in
            let b = try await scratch.open()
            try await a.createEnvironment(Make.environment())
            try await a.recordEvent(Make.event("e0", visitor: "before", at: 1), visitor: Make.visitor("before", at: 1))
            // Instance b starts: cursor, then the full read; a writes in between and after.
            let cursor = try await b.visitorChangeCursor(environmentID: "env_a")
            try await a.recordEvent(Make.event("e1", visitor: "between", at: 2), visitor: Make.visitor("between", at: 2))
            let loaded = Set(try await b.visitors(environmentID: "env_a").map(\.id))
            try await a.recordEvent(Make.event("e2", visitor: "after", at: 3), visitor: Make.visitor("after", at: 3))
            let changes = try await drain(b, from: cursor)
            #expect(loaded.union(changes.visitors) == ["before", "between", "after"])
            #expect(changes.visitors.contains("after"))
            await b.close()
        }
    }
}
