import ArgusCore
import ArgusRedis
import ArgusStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

func xAPIKey(_ key: String) -> HTTPFields { [HTTPField.Name("X-API-Key")!: key, .contentType: "application/json"] }

extension Harness {
    func secretKey(_ scopes: [Scope], environment: EnvironmentRecord? = nil) async throws -> String {
        try await Provisioning(runtime: runtime).createKey(environment: environment ?? boot.environment, kind: .secret, scopes: scopes).key
    }

    /// Identifies the desktop browser (time zone Europe/Berlin); answers the event id and visitor id.
    func identify(_ client: some TestClientProtocol) async throws -> (String, String) {
        let r = try await client.execute(uri: "/v1/identify", method: .post, body: identifyBody())
        return (try #require(r.json["requestId"]?.stringValue), try #require(r.json["visitorId"]?.stringValue))
    }

    func ingestBody(_ requestID: String, session: String = "S-1", user: String = "user@example.com") -> ByteBuffer {
        ByteBuffer(string: #"{"request_id":"\#(requestID)","subscriber_id":12,"session_id":"\#(session)","user_id":"\#(user)"}"#)
    }
}

@Suite struct IngestTests {
    @Test func everyValidationPathAnswersAndLeavesNoTrace() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let riskOnly = try await h.secretKey([.risk])
        let ingest = try await h.secretKey([.ingest])
        try await h.app.test(.router) { client in
            func post(_ body: String, headers: HTTPFields) async throws -> TestResponse {
                try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            let good = #"{"request_id":"1A2B3C4D5E","subscriber_id":12,"session_id":"DEV-SESSION-XYZ","user_id":"user@example.com"}"#

            let noKey = try await post(good, headers: [.contentType: "application/json"])
            #expect(noKey.status == .unauthorized)
            #expect(noKey.json == ["error": ["code": "unauthorized", "message": "the X-API-Key header is missing"]])
            let badKey = try await post(good, headers: xAPIKey("sk_not_a_key"))
            #expect(badKey.status == .unauthorized)
            #expect(badKey.errorCode == "unauthorized")
            // A Bearer header is not the X-API-Key the seed asks for.
            #expect(try await post(good, headers: bearer(ingest)).status == .unauthorized)
            let wrongScope = try await post(good, headers: xAPIKey(riskOnly))
            #expect(wrongScope.status == .forbidden)
            #expect(wrongScope.json == ["error": ["code": "insufficient_scope", "message": "the secret API key lacks the scope ingest"]])

            for bad in ["", "{", "nope", #"{"request_id":"a",}"#] {
                let r = try await post(bad, headers: xAPIKey(ingest))
                #expect(r.status == .badRequest, "\(bad)")
                #expect(r.errorCode == "invalid_json", "\(bad)")
            }
            let array = try await post("[1]", headers: xAPIKey(ingest))
            #expect(array.status == .badRequest)
            #expect(array.json["error"]?["message"] == "the body must be a JSON object")

            let fields: [(String, String)] = [
                ("request_id", #""1A2B3C4D5E""#), ("subscriber_id", "12"), ("session_id", #""DEV-SESSION-XYZ""#),
                ("user_id", #""user@example.com""#),
            ]
            func body(_ replace: String, with value: String?) -> String {
                let parts = fields.compactMap { k, v -> String? in
                    if k != replace { return "\"\(k)\":\(v)" }
                    return value.map { "\"\(k)\":\($0)" }
                }
                return "{" + parts.joined(separator: ",") + "}"
            }
            for (field, _) in fields {
                for missing in [nil, "null"] as [String?] {
                    let r = try await post(body(field, with: missing), headers: xAPIKey(ingest))
                    #expect(r.status == .badRequest)
                    #expect(r.json == ["error": ["code": "missing_field", "message": .string("\(field) is required")]])
                }
            }
            let mistyped: [(String, String, String)] = [
                ("request_id", "12345", "a string"), ("request_id", #""""#, "a string of 1 to 256 characters"),
                ("subscriber_id", #""12""#, "an integer"), ("subscriber_id", "12.5", "an integer"),
                ("subscriber_id", "true", "an integer"), ("session_id", "7", "a string"), ("session_id", "[]", "a string"),
                ("user_id", "{}", "a string"), ("user_id", "false", "a string"),
            ]
            for (field, value, expected) in mistyped {
                let r = try await post(body(field, with: value), headers: xAPIKey(ingest))
                #expect(r.status == .badRequest, "\(field)=\(value)")
                #expect(r.json == ["error": ["code": "invalid_field", "message": .string("\(field) must be \(expected)")]])
            }
            let slash = try await post(body("request_id", with: #""a/b c""#), headers: xAPIKey(ingest))
            #expect(slash.status == .badRequest)
            #expect(slash.errorCode == "invalid_field")
            #expect(slash.json["error"]?["message"]?.stringValue?.hasPrefix("request_id must be") == true)
        }
        // Nothing was written.
        #expect(try await h.runtime.store.prefetch(requestID: "1A2B3C4D5E") == nil)
    }

    @Test func acceptsAsTheSeedShowsIdempotently() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let key = try await h.secretKey([.ingest])
        try await h.app.test(.router) { client in
            let body = #"{"request_id": "1A2B3C4D5E", "subscriber_id": 12, "session_id": "DEV-SESSION-XYZ", "user_id": "user@example.com"}"#
            let r = try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(key), body: ByteBuffer(string: body))
            #expect(r.status == .accepted)
            #expect(r.headers[.contentType] == "application/json")
            #expect(
                String(buffer: r.body)
                    == #"{"status":"accepted","mode":"prefetch_pipeline","redis_keys":["fp:prefetch:1A2B3C4D5E"],"user_id":"user@example.com","session_id":"DEV-SESSION-XYZ"}"#
            )
            // The task is durable before the 202.
            let task = try #require(try await h.runtime.store.prefetch(requestID: "1A2B3C4D5E"))
            #expect(task.status == .pending)
            #expect(task.subscriberID == 12)
            #expect(task.environmentID == h.boot.environment.id)
            // Again, even with other correlation: the same answer, still one task.
            let again = try await client.execute(
                uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(key), body: h.ingestBody("1A2B3C4D5E", session: "other"))
            #expect(again.status == .accepted)
            #expect(again.body == r.body)
            #expect(try await h.runtime.store.prefetch(requestID: "1A2B3C4D5E") == task)
        }
    }

    @Test func prefetchResolvesTheEventFromArgusOwnStore() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let key = try await h.secretKey([.ingest])
        try await h.app.test(.router) { client in
            let (eventID, _) = try await h.identify(client)
            let r = try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(key), body: h.ingestBody(eventID))
            #expect(r.status == .accepted)
            let pending = try await client.execute(uri: "/fingerprint/prefetch/\(eventID)", method: .get, headers: xAPIKey(key))
            #expect(pending.json["status"] == "pending")
            #expect(pending.json["attempts"] == 0)
            #expect(pending.json["cached"] == false)

            #expect(await h.runtime.prefetch.runDue() == 1)
            let done = try await client.execute(uri: "/fingerprint/prefetch/\(eventID)", method: .get, headers: xAPIKey(key))
            #expect(done.status == .ok)
            #expect(done.json["status"] == "done")
            #expect(done.json["attempts"] == 1)
            #expect(done.json["error"] == .null)
            #expect(done.json["cached"] == true)
            #expect(done.json["cache"] == "embedded")
            #expect(done.json["source"] == "own-store")

            let value = try #require(try await h.runtime.prefetch.cache.get("fp:prefetch:\(eventID)"))
            let cached = try JSONParser.parse(value)
            #expect(cached.objectValue?.keys == ["request_id", "subscriber_id", "session_id", "user_id", "fetched_at", "event"])
            #expect(cached["request_id"] == .string(eventID))
            #expect(cached["subscriber_id"] == 12)
            #expect(cached["user_id"] == "user@example.com")
            #expect(cached["fetched_at"] == .int(h.clock.now.withLock { $0 }))
            // The event exactly as the Server API serves it.
            let stored = try #require(try await h.runtime.store.event(id: eventID, environmentID: nil))
            #expect(cached["event"] == (try JSONParser.parse(stored.document)))
            // Nothing is left to run.
            #expect(await h.runtime.prefetch.runDue() == 0)

            // Status of an unknown id, and without the key.
            #expect(try await client.execute(uri: "/fingerprint/prefetch/nope", method: .get, headers: xAPIKey(key)).status == .notFound)
            #expect(try await client.execute(uri: "/fingerprint/prefetch/\(eventID)", method: .get).status == .unauthorized)
        }
    }

    @Test func anEventNotFoundYetIsRetriedWithBackoffThenFails() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let key = try await h.secretKey([.ingest])
        try await h.app.test(.router) { client in
            let id = "1763762000123.RaceRace"
            #expect(try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(key), body: h.ingestBody(id)).status == .accepted)
            var delays: [Int64] = []
            for attempt in 1...PrefetchPipeline.maxNotFoundAttempts {
                #expect(await h.runtime.prefetch.runDue() == 1)
                let task = try #require(try await h.runtime.store.prefetch(requestID: id))
                #expect(task.attempts == attempt)
                #expect(task.lastError?.hasPrefix("event_not_found") == true)
                if attempt < PrefetchPipeline.maxNotFoundAttempts {
                    #expect(task.status == .pending)
                    // Not before its backoff.
                    #expect(await h.runtime.prefetch.runDue() == 0)
                    let delay = task.nextAttemptAt - h.clock.now.withLock { $0 }
                    delays.append(delay)
                    h.clock.advance(ms: delay)
                } else {
                    #expect(task.status == .failed)
                }
            }
            #expect(delays == [500, 1000, 2000, 4000, 8000])
            let failed = try await client.execute(uri: "/fingerprint/prefetch/\(id)", method: .get, headers: xAPIKey(key))
            #expect(failed.json["status"] == "failed")
            #expect(failed.json["attempts"] == 6)
            #expect(failed.json["error"]?.stringValue?.hasPrefix("event_not_found") == true)
            #expect(failed.json["next_attempt_at"] == .null)
        }
    }

    @Test func theRaceResolvesWhenTheEventArrivesLate() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let key = try await h.secretKey([.ingest])
        try await h.app.test(.router) { client in
            let (eventID, _) = try await h.identify(client)
            // Hide the event, as if ingest came before the identify was stored.
            let stored = try #require(try await h.runtime.store.event(id: eventID, environmentID: nil))
            let visitor = try #require(try await h.runtime.store.visitor(id: stored.visitorID, environmentID: stored.environmentID))
            #expect(try await h.runtime.store.deleteVisitors(ids: [stored.visitorID], environmentID: stored.environmentID) == 1)
            _ = try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(key), body: h.ingestBody(eventID))
            await h.runtime.prefetch.runDue()
            #expect(try await h.runtime.store.prefetch(requestID: eventID)?.status == .pending)
            try await h.runtime.store.recordEvent(stored, visitor: visitor)
            h.clock.advance(ms: 500)
            await h.runtime.prefetch.runDue()
            let task = try #require(try await h.runtime.store.prefetch(requestID: eventID))
            #expect(task.status == .done)
            #expect(task.attempts == 2)
        }
    }

    @Test func aKeyOfAnotherEnvironmentDoesNotSeeTheEvent() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let staging = try await Provisioning(runtime: h.runtime).createEnvironment(name: "staging")
        let stagingKey = try await h.secretKey([.ingest], environment: staging)
        let defaultKey = try await h.secretKey([.ingest])
        try await h.app.test(.router) { client in
            let (eventID, _) = try await h.identify(client)
            _ = try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(stagingKey), body: h.ingestBody(eventID))
            await h.runtime.prefetch.runDue()
            let task = try #require(try await h.runtime.store.prefetch(requestID: eventID))
            #expect(task.status == .pending)
            #expect(task.lastError?.hasPrefix("event_not_found") == true)
            // And the default environment's key does not see staging's task.
            #expect(try await client.execute(uri: "/fingerprint/prefetch/\(eventID)", method: .get, headers: xAPIKey(defaultKey)).status == .notFound)
            #expect(try await client.execute(uri: "/fingerprint/prefetch/\(eventID)", method: .get, headers: xAPIKey(stagingKey)).status == .ok)
        }
    }

    @Test func aClaimedTaskIsLeasedToOneWorker() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let store = h.runtime.store
        let t: Int64 = 5_000
        _ = try await store.insertPrefetch(PrefetchTask(requestID: "r1", environmentID: nil, subscriberID: 1, sessionID: "s", userID: "u", createdAt: t))
        #expect(try await store.claimDuePrefetches(now: t - 1, leaseUntil: t + 100, limit: 10) == [])
        #expect(try await store.claimDuePrefetches(now: t, leaseUntil: t + 100, limit: 10).map(\.requestID) == ["r1"])
        // Another instance, while the lease holds: nothing.
        #expect(try await store.claimDuePrefetches(now: t + 99, leaseUntil: t + 199, limit: 10) == [])
        // The first worker died: after the lease, another takes it.
        #expect(try await store.claimDuePrefetches(now: t + 100, leaseUntil: t + 200, limit: 10).map(\.requestID) == ["r1"])
        // Saving progress releases the lease.
        var task = try #require(try await store.prefetch(requestID: "r1"))
        task.attempts = 1
        task.nextAttemptAt = t + 150
        try await store.updatePrefetch(task)
        #expect(try await store.claimDuePrefetches(now: t + 150, leaseUntil: t + 300, limit: 10).map(\.attempts) == [1])
    }

    @Test func theEmbeddedCacheIsBoundedAndExpires() async throws {
        let clock = TestClock()
        let cache = EmbeddedPrefetchCache(capacity: 3, clock: clock.clock)
        for i in 1...5 { try await cache.put("k\(i)", [UInt8(i)], ttlSeconds: 10) }
        #expect(cache.count == 3)
        #expect(try await cache.get("k1") == nil)
        #expect(try await cache.get("k2") == nil)
        #expect(try await cache.get("k5") == [5])
        // Rewriting a key refreshes its place.
        try await cache.put("k3", [33], ttlSeconds: 10)
        try await cache.put("k6", [6], ttlSeconds: 10)
        #expect(try await cache.get("k3") == [33])
        #expect(try await cache.get("k4") == nil)
        clock.advance(ms: 10_000)
        #expect(try await cache.get("k3") == nil)
    }
}

/// Prefetch into the real Redis (`ARGUS_TEST_REDIS_URL`, started by scripts/test).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ARGUS_TEST_REDIS_URL"] != nil, "set ARGUS_TEST_REDIS_URL (scripts/test does)"))
struct IngestRedisTests {
    @Test func thePrefetchedEventIsAJSONStringInRedisWithTheTTL() async throws {
        let url = ProcessInfo.processInfo.environment["ARGUS_TEST_REDIS_URL"]!
        var config = ArgusConfig()
        config.redisURL = url
        config.prefetchTTLSeconds = 1800
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let key = try await h.secretKey([.ingest, .risk])
        let redis = try RedisClient(url)
        try await h.app.test(.router) { client in
            let (eventID, visitorID) = try await h.identify(client)
            _ = try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(key), body: h.ingestBody(eventID))
            #expect(try await redis.get("fp:prefetch:\(eventID)") == nil)
            await h.runtime.prefetch.runDue()
            let raw = try #require(try await redis.get("fp:prefetch:\(eventID)"))
            let value = try JSONParser.parse(raw)
            #expect(value["request_id"] == .string(eventID))
            #expect(value["session_id"] == "S-1")
            #expect(value["event"]?["identification"]?["visitor_id"] == .string(visitorID))
            let ttl = try await redis.ttl("fp:prefetch:\(eventID)")
            #expect(ttl > 1790 && ttl <= 1800)
            let status = try await client.execute(uri: "/fingerprint/prefetch/\(eventID)", method: .get, headers: xAPIKey(key))
            #expect(status.json["cache"] == "redis")
            #expect(status.json["cached"] == true)
            // The score reads it from Redis.
            let score = try await client.execute(
                uri: "/risk/bin/score", method: .post, headers: xAPIKey(key),
                body: ByteBuffer(string: #"{"bin":"341142","request_id":"\#(eventID)"}"#))
            #expect(score.json["correlation"]?["visitor_id"] == .string(visitorID))
            try await redis.del(["fp:prefetch:\(eventID)"])
        }
        await redis.close()
    }
}

/// Prefetch from an upstream Fingerprint-compatible Server API: another Argus.
@Suite struct UpstreamPrefetchTests {
    @Test func twoArgusInstances() async throws {
        let upstream = try await Harness.make()
        defer { upstream.remove() }
        let readKey = try await upstream.secretKey([.readEvents])
        let noReadKey = try await upstream.secretKey([.ingest])
        try await upstream.app.test(.live) { upstreamClient in
            let port = try #require(upstreamClient.port)
            let (eventID, visitorID) = try await upstream.identify(upstreamClient)

            for (key, works) in [(noReadKey, false), (readKey, true)] {
                var config = ArgusConfig()
                config.upstreamURL = "http://127.0.0.1:\(port)/v4/"
                config.upstreamKey = key
                let local = try await Harness.make(config: config)
                defer { local.remove() }
                let ingestKey = try await local.secretKey([.ingest])
                try await local.app.test(.router) { client in
                    _ = try await client.execute(uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(ingestKey), body: local.ingestBody(eventID))
                    _ = try await client.execute(
                        uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(ingestKey), body: local.ingestBody("1763762000123.NotThere"))
                    #expect(await local.runtime.prefetch.runDue() == 2)
                    let task = try #require(try await local.runtime.store.prefetch(requestID: eventID))
                    let missing = try #require(try await local.runtime.store.prefetch(requestID: "1763762000123.NotThere"))
                    if works {
                        #expect(task.status == .done)
                        let cached = try JSONParser.parse(try #require(try await local.runtime.prefetch.cache.get("fp:prefetch:\(eventID)")))
                        #expect(cached["event"]?["event_id"] == .string(eventID))
                        #expect(cached["event"]?["identification"]?["visitor_id"] == .string(visitorID))
                        // 404 upstream: not found yet, retried.
                        #expect(missing.status == .pending)
                        #expect(missing.lastError?.hasPrefix("event_not_found") == true)
                    } else {
                        // 403 upstream: an error, retried, the reason kept.
                        #expect(task.status == .pending)
                        #expect(task.lastError == "upstream answered 403 insufficient_scope")
                    }
                    let status = try await client.execute(uri: "/fingerprint/prefetch/\(eventID)", method: .get, headers: xAPIKey(ingestKey))
                    #expect(status.json["source"] == "upstream")
                }
            }
        }
    }

    @Test func upstreamURLAndKeyGoTogether() async throws {
        var config = ArgusConfig()
        config.upstreamURL = "http://127.0.0.1:1/v4"
        await #expect(throws: ConfigurationError.self) { try await Harness.make(config: config) }
    }
}
