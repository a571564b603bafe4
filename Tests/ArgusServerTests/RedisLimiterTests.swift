import ArgusCore
import ArgusRedis
import ArgusTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import ArgusServer

/// The Device API's rate limits shared through the real Redis that
/// scripts/test starts (`ARGUS_TEST_REDIS_URL`): two instances, one budget.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ARGUS_TEST_REDIS_URL"] != nil, "set ARGUS_TEST_REDIS_URL (scripts/test does)"))
struct RedisLimiterTests {
    static var url: String { ProcessInfo.processInfo.environment["ARGUS_TEST_REDIS_URL"]! }

    @Test func twoInstancesShareOneBudget() async throws {
        let a = RedisRequestLimiter(client: try RedisClient(Self.url), logger: Logger(label: "a"))
        let b = RedisRequestLimiter(client: try RedisClient(Self.url), logger: Logger(label: "b"))
        let key = "test|" + UUID().uuidString
        let start = ContinuousClock.now
        #expect(try await a.acquire(key, limit: 3, periodSeconds: 60) == nil)
        #expect(try await b.acquire(key, limit: 3, periodSeconds: 60) == nil)
        #expect(try await a.acquire(key, limit: 3, periodSeconds: 60) == nil)
        let wait = try #require(try await b.acquire(key, limit: 3, periodSeconds: 60))
        // One request's worth of a 3-a-minute budget comes back 20 s after the first request
        // (less what a loaded machine took between the first and the fourth).
        let elapsed = Int((ContinuousClock.now - start).components.seconds)
        #expect((20 - elapsed - 1...20).contains(wait))
        #expect(try await a.acquire("test|" + UUID().uuidString, limit: 3, periodSeconds: 60) == nil)  // other keys are separate
        // Redis holds the key only while the budget is spent.
        let ttl = try await RedisClient(Self.url).send("PTTL", "argus:rl:" + key).int ?? -1
        #expect(ttl > 0 && ttl <= 60_001)
    }

    @Test func anUnreachableRedisLetsRequestsThrough() async throws {
        let port = try LoopbackPort.free()
        let limiter = RedisRequestLimiter(client: try RedisClient("redis://127.0.0.1:\(port)"), logger: Logger(label: "down"))
        #expect(try await limiter.acquire("k", limit: 1, periodSeconds: 60) == nil)
        #expect(try await limiter.acquire("k", limit: 1, periodSeconds: 60) == nil)
    }

    @Test func theDeviceAPIsGlobalLimitSpansInstances() async throws {
        _ = try await RedisClient(Self.url).eval(
            "for _, k in ipairs(redis.call('KEYS', 'argus:rl:g|*')) do redis.call('DEL', k) end return 0")
        var config = ArgusConfig()
        config.redisURL = Self.url
        config.deviceGlobalPerMinute = 4
        let one = try await Harness.make(config: config)
        let two = try await Harness.make(config: config)
        defer {
            one.remove()
            two.remove()
        }
        #expect(one.runtime.requestLimiter is RedisRequestLimiter)
        var statuses: [Int] = []
        for i in 0..<6 {
            let h = i % 2 == 0 ? one : two
            let status = try await h.app.test(.router) { client in
                Int(try await client.execute(uri: "/v1/device/abc", method: .get).status.code)
            }
            statuses.append(status)
        }
        // Three requests on each instance; alone neither would reach 4.
        #expect(statuses == [401, 401, 401, 401, 429, 429])
    }
}
