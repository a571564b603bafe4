import ArgusCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

@Suite struct RateLimitTests {
    @Test func secretKeysAreLimitedWithRetryAfterAndRefill() async throws {
        var config = ArgusConfig()
        config.secretKeyRate = 2
        config.secretKeyBurst = 3
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let uri = "/v4/events/1708102555327.NLOjmg"
            for _ in 0..<3 {
                #expect(try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey)).status == .notFound)
            }
            let limited = try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.json == ["error": ["code": "too_many_requests", "message": "too many requests"]])
            #expect(limited.headers[.retryAfter] == "1")
            // Another key has its own bucket.
            let other = try await Provisioning(runtime: h.runtime).createKey(environment: h.boot.environment, kind: .secret)
            #expect(try await client.execute(uri: uri, method: .get, headers: bearer(other.key)).status == .notFound)
            h.clock.advance(ms: 1000)  // two tokens back
            #expect(try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey)).status == .notFound)
            #expect(try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey)).status == .notFound)
            #expect(try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey)).status == .tooManyRequests)
        }
    }

    @Test func aSecretKeysOwnRateReplacesTheServers() async throws {
        var config = ArgusConfig()
        config.secretKeyBurst = 1  // the burst is the larger of this and the key's rate
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let own = try await Provisioning(runtime: h.runtime).createKey(environment: h.boot.environment, kind: .secret, rate: 2)
        try await h.app.test(.router) { client async throws in
            let uri = "/v4/events/1708102555327.NLOjmg"
            for _ in 0..<2 {
                #expect(try await client.execute(uri: uri, method: .get, headers: bearer(own.key)).status == .notFound)
            }
            #expect(try await client.execute(uri: uri, method: .get, headers: bearer(own.key)).status == .tooManyRequests)
            // The bootstrap key keeps the server's 50 a second.
            for _ in 0..<3 {
                #expect(try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey)).status == .notFound)
            }
        }
    }

    @Test func identifyIsLimitedPerPublicKeyNotPerAddress() async throws {
        var config = ArgusConfig()
        config.publicKeyRate = 5
        config.publicKeyBurst = 5
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        try await h.app.test(.router) { client in
            for _ in 0..<5 {
                #expect(try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).status == .ok)
            }
            let limited = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
        }
        // A refused request stored nothing.
        #expect(try await h.runtime.store.eventCount(environmentID: nil) == 5)
    }

    @Test func aRequestWhoseTokenArrivesSoonIsHeldNotRefused() {
        let time = TestClock()
        let limiter = RateLimiter(clock: time.clock)
        func admit(_ key: String = "k") -> RateLimiter.Admission {
            limiter.admit(key, ratePerSecond: 100, burst: 2, maxHoldMs: 50)
        }
        #expect(admit() == .now)
        #expect(admit() == .now)
        // 100 a second: one token every 10 ms, each held request reserving the next.
        #expect(admit() == .after(milliseconds: 10))
        #expect(admit() == .after(milliseconds: 20))
        #expect(admit() == .after(milliseconds: 30))
        #expect(admit() == .after(milliseconds: 40))
        #expect(admit() == .after(milliseconds: 50))
        // The next would wait 60 ms, beyond the hold: refused, and it reserved nothing.
        #expect(admit() == .refused(retryAfter: 1))
        #expect(admit() == .refused(retryAfter: 1))
        #expect(admit("other") == .now)  // keys have their own buckets
        time.advance(ms: 20)  // the reservations move up by two tokens
        #expect(admit() == .after(milliseconds: 40))
        time.advance(ms: 1000)  // refilled to the burst, no more
        #expect(admit() == .now)
        #expect(admit() == .now)
        #expect(admit() == .after(milliseconds: 10))
        // Without a hold, admit refuses as acquire does.
        #expect(limiter.admit("k", ratePerSecond: 100, burst: 2, maxHoldMs: 0) == .refused(retryAfter: 1))
        #expect(limiter.acquire("k", ratePerSecond: 100, burst: 2) == 1)
    }

    @Test func aPublicKeysOwnRateReplacesTheServersForIdentify() async throws {
        var config = ArgusConfig()
        config.publicKeyMaxHoldMs = 0
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let p = Provisioning(runtime: h.runtime)
        let environment = h.boot.environment
        let slow = try await p.createKey(environment: environment, kind: .public, rate: 1)
        #expect(slow.record.rateLimitPerSecond == 1)
        try await h.app.test(.router) { client in
            // Burst twice the rate, then one a second; the server's default (2,000 a second) still
            // applies to the environment's other key.
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(publicKey: slow.key)).status == .ok)
            }
            let limited = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(publicKey: slow.key))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "1")
            #expect(try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).status == .ok)
            h.clock.advance(ms: 1000)
            #expect(try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(publicKey: slow.key)).status == .ok)
        }
        // A rate is refused where it means nothing, or when it is not a rate.
        await #expect(throws: Provisioning.ProvisioningError.self) {
            _ = try await p.createKey(environment: environment, kind: .proxy, rate: 5)
        }
        await #expect(throws: Provisioning.ProvisioningError.self) {
            _ = try await p.createKey(environment: environment, kind: .public, rate: 0)
        }
    }

    @Test func identifyCanBeLimitedPerClientAddress() async throws {
        var config = ArgusConfig()
        config.clientIPRate = 1
        config.clientIPBurst = 2
        config.publicKeyMaxHoldMs = 0
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        @Sendable func from(_ ip: String) -> HTTPFields {
            [HTTPField.Name("FPJS-Proxy-Secret")!: h.boot.proxySecret, HTTPField.Name("FPJS-Proxy-Client-IP")!: ip]
        }
        try await h.app.test(.router) { client in
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/v1/identify", method: .post, headers: from("198.51.100.7"), body: h.identifyBody()).status == .ok)
            }
            let limited = try await client.execute(uri: "/v1/identify", method: .post, headers: from("198.51.100.7"), body: h.identifyBody())
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "1")
            // Another address has its own budget; the key's is far from spent.
            #expect(try await client.execute(uri: "/v1/identify", method: .post, headers: from("198.51.100.8"), body: h.identifyBody()).status == .ok)
            h.clock.advance(ms: 1000)  // one token back
            #expect(try await client.execute(uri: "/v1/identify", method: .post, headers: from("198.51.100.7"), body: h.identifyBody()).status == .ok)
            #expect(try await client.execute(uri: "/v1/identify", method: .post, headers: from("198.51.100.7"), body: h.identifyBody()).status == .tooManyRequests)
        }
        #expect(try await h.runtime.store.eventCount(environmentID: nil) == 4)
    }

    @Test func theBucketTableStaysBoundedUnderAFloodOfAddresses() {
        let time = TestClock()
        let limiter = RateLimiter(clock: time.clock, capacity: 100)
        #expect(limiter.admit("hot", ratePerSecond: 1, burst: 1, maxHoldMs: 0) == .now)
        time.advance(ms: 1)
        for i in 0..<1000 {
            _ = limiter.admit("ip-\(i)", ratePerSecond: 1, burst: 1, maxHoldMs: 0)
            #expect(limiter.count <= 100)
            time.advance(ms: 1)
        }
        // The flood's newest addresses keep their spent budgets; the oldest were dropped.
        #expect(limiter.admit("ip-999", ratePerSecond: 1, burst: 1, maxHoldMs: 0) == .refused(retryAfter: 1))
        #expect(limiter.admit("ip-0", ratePerSecond: 1, burst: 1, maxHoldMs: 0) == .now)
        #expect(limiter.admit("hot", ratePerSecond: 1, burst: 1, maxHoldMs: 0) == .now)  // spent, but evicted: its budget back
    }

    @Test func identifyOverTheRateIsHeldBrieflyThenRefused() async throws {
        var config = ArgusConfig()
        config.publicKeyRate = 50  // a token every 20 ms
        config.publicKeyBurst = 1
        config.publicKeyMaxHoldMs = 100
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        try await h.app.test(.router) { client in
            #expect(try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).status == .ok)
            // The test's clock stands still: five requests reserve the next five tokens (20 … 100 ms
            // ahead), each answered after its wait; the sixth would wait 120 ms and is refused.
            let start = ContinuousClock.now
            for _ in 0..<5 {
                #expect(try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).status == .ok)
            }
            #expect(ContinuousClock.now - start >= .milliseconds(20 + 40 + 60 + 80 + 100))
            let limited = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] == "1")
            // Operators see both: the held ones counted by limit, the refused one by its status.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"argus_identify_held_total{limit="public_key"} 5"#))
            #expect(metrics.contains(#"argus_identify_held_total{limit="client_ip"} 0"#))
        }
        #expect(try await h.runtime.store.eventCount(environmentID: nil) == 6)
    }
}
