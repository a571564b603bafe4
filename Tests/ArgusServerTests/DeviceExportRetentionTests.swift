import ArgusCore
import ArgusStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import ArgusServer

@Suite struct DeviceExportTests {
    @Test func csvIsRFC4180AndJSONIsOneArray() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let t0 = h.clock.now.withLock { $0 }
        _ = try await recordDeviceEvent(h, device: "e1", at: t0, score: 70, flags: ["vpn", "proxy"], country: "US", city: #"Washington, "D.C.""#)
        _ = try await recordDeviceEvent(h, device: "e2", at: t0 - 1000, score: 10, country: "GB", city: "Line\nBreak")
        _ = try await recordDeviceEvent(h, device: "e3", at: t0 - 2000, score: 30)
        let exporter = try await Provisioning(runtime: h.runtime).createKey(environment: h.boot.environment, kind: .secret, scopes: [.export])
        try await h.app.test(.router) { client in
            let csv = try await client.execute(uri: "/v1/exports/fingerprints?format=csv", method: .get, headers: bearer(exporter.key))
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8; header=present")
            let text = String(buffer: csv.body)
            let env = h.boot.environment.id
            let expected =
                "deviceId,domainId,score,riskLevel,confidence,flags,country,city,createdAt,lastSubmittedAt,lastSeenAt\r\n"
                + "e1,\(env),70,high,0.85,\"vpn,proxy\",US,\"Washington, \"\"D.C.\"\"\",\(ISOTime.format(t0)),\(ISOTime.format(t0)),\(ISOTime.format(t0))\r\n"
                + "e2,\(env),10,minimal,0.5,,GB,\"Line\nBreak\",\(ISOTime.format(t0 - 1000)),\(ISOTime.format(t0 - 1000)),\(ISOTime.format(t0 - 1000))\r\n"
                + "e3,\(env),30,low,0.6,,,,\(ISOTime.format(t0 - 2000)),\(ISOTime.format(t0 - 2000)),\(ISOTime.format(t0 - 2000))\r\n"
            #expect(text == expected)

            let json = try await client.execute(uri: "/v1/exports/fingerprints?format=json&riskLevel=high,low", method: .get, headers: bearer(exporter.key))
            #expect(json.headers[.contentType] == "application/json")
            let array = try #require(json.json.arrayValue)
            #expect(array.compactMap { $0["deviceId"]?.stringValue } == ["e1", "e3"])
            #expect(array.first?["city"]?.stringValue == #"Washington, "D.C.""#)

            let empty = try await client.execute(uri: "/v1/exports/fingerprints?format=json&country=JP", method: .get, headers: bearer(exporter.key))
            #expect(empty.json == .array([]))
        }
    }

    /// 100,000 devices: the exporter asks the store for one page at a time and writes one chunk per page,
    /// so at no moment does it hold more than a page of rows; the output still has every row once.
    @Test func exportOf100kRowsStreamsPageByPage() async throws {
        var config = ArgusConfig()
        config.exportPageSize = 1000
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let t0 = h.clock.now.withLock { $0 }
        let total = 100_000
        // Many concurrent writers: the group committer puts them into few transactions.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<50 {
                group.addTask {
                    for i in stride(from: w, to: total, by: 50) {
                        _ = try await recordDeviceEvent(h, device: "x\(i)", at: t0 - Int64(i), score: i % 101, country: "US")
                    }
                }
            }
            try await group.waitForAll()
        }
        let counting = CountingStore(h.runtime.store)
        var q = try DeviceListParameters.parse(Parameters(), environmentID: h.boot.environment.id)
        q.limit = config.exportPageSize
        let exporter = DeviceExporter(store: counting, format: .csv, query: q)
        let chunks = Mutex<[Int]>([])
        var seen = Set<Substring>()
        var lines = 0
        var carry = ""
        let rows = try await exporter.run { chunk in
            let text = carry + String(buffer: chunk)
            chunks.withLock { $0.append(chunk.readableBytes) }
            var parts = text.split(separator: "\r\n", omittingEmptySubsequences: false)
            carry = String(parts.removeLast())
            for p in parts {
                lines += 1
                if lines > 1 { seen.insert(p.prefix { $0 != "," }) }
            }
        }
        #expect(rows == total)
        #expect(carry == "")
        #expect(lines == total + 1)
        #expect(seen.count == total)
        let sizes = chunks.withLock { $0 }
        #expect(sizes.count == total / 1000 + 1)  // a chunk per page (the last page is empty)
        #expect(sizes.max()! < 200 * 1000)  // a page of rows, never the whole export
        #expect(counting.maxLimit.withLock { $0 } == 1000)
        #expect(counting.calls.withLock { $0 } == total / 1000 + 1)
    }
}

/// Passes through to a store, recording what the exporter asks for.
final class CountingStore: ArgusStore, @unchecked Sendable {
    let base: any ArgusStore
    let maxLimit = Mutex(0)
    let calls = Mutex(0)
    init(_ base: any ArgusStore) { self.base = base }

    func devices(_ query: DeviceQuery) async throws -> [DeviceRecord] {
        maxLimit.withLock { $0 = max($0, query.limit) }
        calls.withLock { $0 += 1 }
        return try await base.devices(query)
    }
    func device(id: String, environmentID: String?) async throws -> DeviceRecord? { try await base.device(id: id, environmentID: environmentID) }
    func purgeEvents(environmentID: String, before: Int64, limit: Int) async throws -> Int {
        try await base.purgeEvents(environmentID: environmentID, before: before, limit: limit)
    }
    func expiredDevices(environmentID: String, before: Int64, limit: Int) async throws -> [String] {
        try await base.expiredDevices(environmentID: environmentID, before: before, limit: limit)
    }
    func purgeDevices(ids: [String], environmentID: String, before: Int64) async throws -> Int {
        try await base.purgeDevices(ids: ids, environmentID: environmentID, before: before)
    }
    func migrate() async throws { try await base.migrate() }
    func ping() async throws { try await base.ping() }
    func setting(_ name: String) async throws -> [UInt8]? { try await base.setting(name) }
    func settingInsertIfAbsent(_ name: String, value: [UInt8]) async throws -> [UInt8] { try await base.settingInsertIfAbsent(name, value: value) }
    func createEnvironment(_ environment: EnvironmentRecord) async throws { try await base.createEnvironment(environment) }
    func environment(named name: String) async throws -> EnvironmentRecord? { try await base.environment(named: name) }
    func environment(id: String) async throws -> EnvironmentRecord? { try await base.environment(id: id) }
    func environments() async throws -> [EnvironmentRecord] { try await base.environments() }
    func setOpenResponse(environmentID: String, enabled: Bool) async throws { try await base.setOpenResponse(environmentID: environmentID, enabled: enabled) }
    func setRetention(environmentID: String, days: Int) async throws { try await base.setRetention(environmentID: environmentID, days: days) }
    // PrefetchStore: passed through.
    func insertPrefetch(_ task: PrefetchTask) async throws -> (task: PrefetchTask, created: Bool) { try await base.insertPrefetch(task) }
    func prefetch(requestID: String) async throws -> PrefetchTask? { try await base.prefetch(requestID: requestID) }
    func claimDuePrefetches(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [PrefetchTask] {
        try await base.claimDuePrefetches(now: now, leaseUntil: leaseUntil, limit: limit)
    }
    func updatePrefetch(_ task: PrefetchTask) async throws { try await base.updatePrefetch(task) }
    func latestPrefetch(environmentID: String?, sessionID: String?, userID: String?) async throws -> PrefetchTask? {
        try await base.latestPrefetch(environmentID: environmentID, sessionID: sessionID, userID: userID)
    }
    func observeBIN(_ bin: String, subjects: [String], at: Int64, since: [Int64]) async throws -> [[Int]] {
        try await base.observeBIN(bin, subjects: subjects, at: at, since: since)
    }
    // WebhookStore: passed through.
    func createWebhook(_ endpoint: WebhookEndpointRecord) async throws { try await base.createWebhook(endpoint) }
    func webhook(id: String) async throws -> WebhookEndpointRecord? { try await base.webhook(id: id) }
    func webhooks(environmentID: String) async throws -> [WebhookEndpointRecord] { try await base.webhooks(environmentID: environmentID) }
    func updateWebhook(_ endpoint: WebhookEndpointRecord) async throws -> Bool { try await base.updateWebhook(endpoint) }
    func deleteWebhook(id: String) async throws -> Bool { try await base.deleteWebhook(id: id) }
    func claimWebhookDeliveries(nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [ClaimedWebhookDelivery] {
        try await base.claimWebhookDeliveries(nowMs: nowMs, leaseMs: leaseMs, limit: limit)
    }
    func completeWebhookDelivery(_ completion: WebhookCompletion) async throws -> Bool { try await base.completeWebhookDelivery(completion) }
    func completeWebhookDeliveries(_ completions: [WebhookCompletion]) async throws -> [Bool] { try await base.completeWebhookDeliveries(completions) }
    func webhookDeliveries(endpointID: String, status: WebhookDeliveryStatus?, limit: Int, before: String?) async throws -> [WebhookDeliveryRecord] {
        try await base.webhookDeliveries(endpointID: endpointID, status: status, limit: limit, before: before)
    }
    func webhookDelivery(id: String) async throws -> WebhookDeliveryRecord? { try await base.webhookDelivery(id: id) }
    func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord] { try await base.webhookAttempts(deliveryID: deliveryID) }
    func redeliverWebhookDeliveries(endpointID: String, deliveryID: String?, nowMs: Int64) async throws -> Int {
        try await base.redeliverWebhookDeliveries(endpointID: endpointID, deliveryID: deliveryID, nowMs: nowMs)
    }
    func webhookDeliveryCounts(endpointID: String) async throws -> [WebhookDeliveryStatus: Int] { try await base.webhookDeliveryCounts(endpointID: endpointID) }
    func encryptionKeys(environmentID: String) async throws -> [EncryptionKeyRecord] { try await base.encryptionKeys(environmentID: environmentID) }
    func saveEncryptionKeys(_ keys: [EncryptionKeyRecord]) async throws { try await base.saveEncryptionKeys(keys) }
    func deleteEncryptionKey(id: String) async throws { try await base.deleteEncryptionKey(id: id) }
    func addSealCounts(_ counts: [String: Int64]) async throws { try await base.addSealCounts(counts) }
    func insertKey(_ key: KeyRecord) async throws { try await base.insertKey(key) }
    func key(publicValue: String) async throws -> KeyRecord? { try await base.key(publicValue: publicValue) }
    func key(secretHash: String) async throws -> KeyRecord? { try await base.key(secretHash: secretHash) }
    func keys(environmentID: String?, kind: KeyKind) async throws -> [KeyRecord] { try await base.keys(environmentID: environmentID, kind: kind) }
    func revokeKey(id: String, at: Int64) async throws -> Bool { try await base.revokeKey(id: id, at: at) }
    func recordEvent(_ event: StoredEvent, visitor: VisitorRecord, joined: VisitorRecord?) async throws {
        try await base.recordEvent(event, visitor: visitor, joined: joined)
    }
    func event(id: String, environmentID: String?) async throws -> StoredEvent? { try await base.event(id: id, environmentID: environmentID) }
    func visitor(id: String, environmentID: String) async throws -> VisitorRecord? { try await base.visitor(id: id, environmentID: environmentID) }
    func eventCount(environmentID: String?) async throws -> Int { try await base.eventCount(environmentID: environmentID) }
    func searchEvents(_ query: EventQuery) async throws -> [StoredEvent] { try await base.searchEvents(query) }
    func countEvents(_ query: EventQuery, cap: Int) async throws -> Int { try await base.countEvents(query, cap: cap) }
    func updateEvent(id: String, environmentID: String?, document: [UInt8], linkedID: String?, suspect: Bool) async throws -> Bool {
        try await base.updateEvent(id: id, environmentID: environmentID, document: document, linkedID: linkedID, suspect: suspect)
    }
    func deleteVisitors(ids: [String], environmentID: String) async throws -> Int? { try await base.deleteVisitors(ids: ids, environmentID: environmentID) }
    func visitors(environmentID: String) async throws -> [VisitorRecord] { try await base.visitors(environmentID: environmentID) }
}

@Suite struct DeviceRateLimitTests {
    @Test func globalAndTenantLimitsWithRetryAfterAndRefill() async throws {
        var config = ArgusConfig()
        config.trustedProxies = ["0.0.0.0"]  // the router test client has no peer address: X-Forwarded-For names the client
        config.deviceTenantPerMinute = 6
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let staging = try await Provisioning(runtime: h.runtime).createEnvironment(name: "staging")
        let stagingKey = try await Provisioning(runtime: h.runtime).createKey(environment: staging, kind: .secret)
        @Sendable func from(_ ip: String, key: String? = nil) -> HTTPFields {
            var f: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: ip]
            if let key { f[.authorization] = "Bearer \(key)" }
            return f
        }
        try await h.app.test(.router) { client in
            let uri = "/v1/device/nobody"
            // Global (no valid key): 20 a minute per IP, one every 3 s after the burst.
            for _ in 0..<20 {
                #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1")).status == .unauthorized)
            }
            let limited = try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: "sk_guess"))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "3")
            #expect(limited.json == ["ok": false, "error": ["code": "rate_limited", "message": "rate limit exceeded"]])
            #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.2")).status == .unauthorized)
            // A valid key is tenant-scoped: not affected by the IP's global budget.
            #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: h.boot.secretKey)).status == .notFound)

            // Tenant-scoped: 6 a minute per (tenant, IP) here; one every 10 s after the burst.
            for _ in 0..<5 {
                #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: h.boot.secretKey)).status == .notFound)
            }
            let tenantLimited = try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: h.boot.secretKey))
            #expect(tenantLimited.status == .tooManyRequests)
            #expect(tenantLimited.headers[.retryAfter] == "10")
            // Another IP of the tenant, and another tenant on the same IP, have their own budgets.
            #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.9", key: h.boot.secretKey)).status == .notFound)
            #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: stagingKey.key)).status == .notFound)

            h.clock.advance(ms: 9_000)
            #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: h.boot.secretKey)).headers[.retryAfter] == "1")
            h.clock.advance(ms: 1_000)
            #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: h.boot.secretKey)).status == .notFound)
            #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: h.boot.secretKey)).status == .tooManyRequests)
            h.clock.advance(ms: 60_000)  // a whole period: the full burst is back
            for _ in 0..<6 {
                #expect(try await client.execute(uri: uri, method: .get, headers: from("198.51.100.1", key: h.boot.secretKey)).status == .notFound)
            }
        }
    }

    @Test func limitsComeFromTheEnvironment() {
        let c = ArgusConfig.fromEnvironment([
            "ARGUS_DEVICE_GLOBAL_RATE_PER_MINUTE": "7", "ARGUS_DEVICE_TENANT_RATE_PER_MINUTE": "70",
            "ARGUS_RATE_LIMIT_TABLE_CAPACITY": "1000", "ARGUS_RETENTION_INTERVAL_SECONDS": "60", "ARGUS_EXPORT_PAGE_SIZE": "250",
        ])
        #expect(c.deviceGlobalPerMinute == 7)
        #expect(c.deviceTenantPerMinute == 70)
        #expect(c.rateLimitTableCapacity == 1000)
        #expect(c.retentionIntervalSeconds == 60)
        #expect(c.exportPageSize == 250)
        let d = ArgusConfig.fromEnvironment([:])
        #expect(d.deviceGlobalPerMinute == 20)
        #expect(d.deviceTenantPerMinute == 100)
    }

    /// High limits keep their precision (microsecond arithmetic): 2 000 a second is one every 500 µs.
    @Test func highLimitsArePrecise() {
        let clock = TestClock()
        let limiter = BoundedGCRALimiter(clock: clock.clock, capacity: 10)
        var allowed = 0
        for _ in 0..<120_000 where limiter.acquire("k", limit: 120_000, periodSeconds: 60) == nil { allowed += 1 }
        #expect(allowed == 120_000)  // the burst is the whole minute's budget
        #expect(limiter.acquire("k", limit: 120_000, periodSeconds: 60) == 1)
        clock.advance(ms: 1)
        #expect(limiter.acquire("k", limit: 120_000, periodSeconds: 60) == nil)
        #expect(limiter.acquire("k", limit: 120_000, periodSeconds: 60) == nil)
        #expect(limiter.acquire("k", limit: 120_000, periodSeconds: 60) != nil)
    }

    /// A flood of distinct addresses never grows the table past its capacity, and the
    /// eviction keeps the keys that are actually being limited.
    @Test func tableStaysBoundedUnderAFloodOfAddresses() {
        let clock = TestClock()
        let limiter = BoundedGCRALimiter(clock: clock.clock, capacity: 1000)
        for _ in 0..<5 { #expect(limiter.acquire("hot", limit: 5, periodSeconds: 60) == nil) }
        #expect(limiter.acquire("hot", limit: 5, periodSeconds: 60) == 12)
        var peak = 0
        for i in 0..<50_000 {
            _ = limiter.acquire("ip-\(i)", limit: 20, periodSeconds: 60)
            peak = max(peak, limiter.count)
            if i % 1000 == 0 { clock.advance(ms: 1) }
        }
        #expect(peak <= 1000)
        #expect(limiter.count <= 1000)
        #expect(limiter.acquire("hot", limit: 5, periodSeconds: 60) != nil)  // still limited after the flood
        // Entries whose budget is full again are dropped first, and cost nothing to lose.
        clock.advance(ms: 61_000)
        _ = limiter.acquire("late", limit: 20, periodSeconds: 60)
        for i in 0..<1000 { _ = limiter.acquire("again-\(i)", limit: 20, periodSeconds: 60) }
        #expect(limiter.count <= 1000)
        #expect(limiter.acquire("hot", limit: 5, periodSeconds: 60) == nil)
    }
}

@Suite struct RetentionTests {
    static let day: Int64 = 86_400_000

    @Test func purgesPerEnvironmentInBatchesAndForgetsVisitors() async throws {
        var config = ArgusConfig()
        config.retentionBatchSize = 3
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let shortEnv = EnvironmentRecord(id: "env_short", name: "short", createdAt: 0, retentionDays: 30)
        try await h.runtime.store.createEnvironment(shortEnv)
        let t0 = h.clock.now.withLock { $0 }
        try await h.app.test(.router) { client in
            // A browser identified through the API (it is in the in-memory index) ...
            let first = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            let visitor = try #require(first.json["visitorId"]?.stringValue)
            // ... old events of the short environment, and a device kept by the default one's 365 days.
            for i in 0..<7 { _ = try await recordDeviceEvent(h, device: "old\(i % 2)", environmentID: shortEnv.id, at: t0 + Int64(i)) }
            _ = try await recordDeviceEvent(h, device: "kept", at: t0)

            h.clock.advance(ms: 40 * Self.day)
            _ = try await recordDeviceEvent(h, device: "fresh", environmentID: shortEnv.id, at: t0 + 40 * Self.day)
            let run1 = try await RetentionJob(runtime: h.runtime).runOnce()
            #expect(run1 == RetentionJob.Outcome(events: 7, devices: 2))
            #expect(try await h.runtime.store.eventCount(environmentID: shortEnv.id) == 1)
            let workspace = try await Provisioning(runtime: h.runtime).createKey(environment: nil, kind: .secret)
            #expect(try await client.execute(uri: "/v1/device/old0", method: .get, headers: bearer(workspace.key)).status == .notFound)
            #expect(try await client.execute(uri: "/v1/device/fresh", method: .get, headers: bearer(workspace.key)).status == .ok)
            #expect(try await client.execute(uri: "/v1/device/kept", method: .get, headers: bearer(h.boot.secretKey)).status == .ok)
            #expect(try await client.execute(uri: "/v1/device/\(visitor)", method: .get, headers: bearer(h.boot.secretKey)).status == .ok)

            h.clock.advance(ms: 330 * Self.day)  // 370 days after t0
            let run2 = try await RetentionJob(runtime: h.runtime).runOnce()
            #expect(run2.devices == 3)  // the browser, "kept", "fresh"
            #expect(try await client.execute(uri: "/v1/device/\(visitor)", method: .get, headers: bearer(h.boot.secretKey)).status == .notFound)
            #expect(try await h.runtime.store.visitor(id: visitor, environmentID: h.boot.environment.id) == nil)
            // The identification index forgot it: the same browser is a new visitor.
            let again = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            #expect(again.json["visitorFound"] == .bool(false))
            #expect(again.json["visitorId"]?.stringValue != visitor)
            #expect(try await RetentionJob(runtime: h.runtime).runOnce() == RetentionJob.Outcome())
        }
    }
}
