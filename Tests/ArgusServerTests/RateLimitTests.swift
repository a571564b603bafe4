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
}
