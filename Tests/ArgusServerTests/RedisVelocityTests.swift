import ArgusCore
import ArgusRedis
import ArgusTestSupport
import ArgusSignals
import Foundation
import Logging
import Testing

@testable import ArgusServer

/// Velocity counters shared through the real Redis that scripts/test starts
/// (`ARGUS_TEST_REDIS_URL`): the same counts as the in-memory tracker, across instances.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ARGUS_TEST_REDIS_URL"] != nil, "set ARGUS_TEST_REDIS_URL (scripts/test does)"))
struct RedisVelocityTests {
    static var url: String { ProcessInfo.processInfo.environment["ARGUS_TEST_REDIS_URL"]! }

    /// A stream of events over 30 hours: two visitors, four addresses, three countries, linked ids
    /// on some, gaps from seconds to hours, and a burst of 40 addresses in 40 seconds (beyond the 32 kept).
    static func stream(seed: UInt64) -> [(visitor: String, ip: String, country: String?, linked: String?, at: Int64)] {
        var rng = SplitMix64(seed: seed)
        var t: Int64 = 1_760_000_000_000
        var out: [(String, String, String?, String?, Int64)] = []
        for i in 0..<400 {
            let burst = i >= 200 && i < 240  // one visitor from 40 addresses in 40 seconds
            t += burst ? 1_000 : [1_000, 20_000, 90_000, 400_000, 2_000_000, 5_000_000][Int(rng.next() % 6)]
            let visitor = burst || rng.next() % 3 != 0 ? "v1" : "v2"
            let ip = burst ? "198.51.100.\(i - 200)" : "203.0.113.\(rng.next() % 4)"
            let country: String? = rng.next() % 5 == 0 ? nil : ["DE", "FR", "US"][Int(rng.next() % 3)]
            let linked: String? = rng.next() % 2 == 0 ? nil : "user-\(rng.next() % 3)"
            out.append((visitor, ip, country, linked, t))
        }
        return out
    }

    @Test func redisCountsWhatTheInMemoryTrackerCounts() async throws {
        let redis = RedisVelocity(client: try RedisClient(Self.url), prefix: "test:vel:\(UUID().uuidString):")
        let memory = VelocityTracker()
        var compared = 0
        for e in Self.stream(seed: 7) {
            let expected = memory.record(
                environmentID: "env", visitorID: e.visitor, ip: e.ip, country: e.country, linkedID: e.linked, at: e.at)
            let shared = try await redis.record(
                environmentID: "env", visitorID: e.visitor, ip: e.ip, country: e.country, linkedID: e.linked, at: e.at)
            #expect(shared == expected, "event \(compared)")
            compared += 1
        }
        #expect(compared == 400)
    }

    @Test func twoInstancesCountEachOthersEvents() async throws {
        let prefix = "test:vel:\(UUID().uuidString):"
        let a = SignalService(sharedVelocity: RedisVelocity(client: try RedisClient(Self.url), prefix: prefix))
        let b = SignalService(sharedVelocity: RedisVelocity(client: try RedisClient(Self.url), prefix: prefix))
        let t: Int64 = 1_760_000_000_000
        var last = VelocityCounts(distinctIP: WindowCounts(0, 0, 0), events: WindowCounts(0, 0, 0), ipEvents: WindowCounts(0, 0, 0))
        for i in 0..<6 {
            let instance = i % 2 == 0 ? a : b
            last = await instance.countVelocity(
                environmentID: "env", visitorID: "v", ip: "203.0.113.\(i % 3)", country: "DE", linkedID: nil, at: t + Int64(i) * 1000)
        }
        #expect(last.events == WindowCounts(6, 6, 6))
        #expect(last.distinctIP == WindowCounts(3, 3, 3))
        // Each instance's own counters saw half of them.
        let own = a.velocity.record(environmentID: "env", visitorID: "v", ip: "203.0.113.0", country: "DE", linkedID: nil, at: t + 6000)
        #expect(own.events == WindowCounts(4, 4, 4))

        // An erasure on one instance clears the visitor's shared counters.
        await b.forget(environmentID: "env", visitorID: "v")
        let after = await a.countVelocity(
            environmentID: "env", visitorID: "v", ip: "203.0.113.9", country: "DE", linkedID: nil, at: t + 7000)
        #expect(after.events == WindowCounts(1, 1, 1))
        #expect(after.distinctIP == WindowCounts(1, 1, 1))
        #expect(after.ipEvents == WindowCounts(1, 1, 1))  // a new address: its own count
    }

    @Test func anUnreachableRedisFallsBackToTheInstancesOwnCounts() async throws {
        let port = try LoopbackPort.free()
        let service = SignalService(sharedVelocity: RedisVelocity(client: try RedisClient("redis://127.0.0.1:\(port)")))
        let t: Int64 = 1_760_000_000_000
        _ = await service.countVelocity(environmentID: "env", visitorID: "v", ip: "203.0.113.1", country: nil, linkedID: nil, at: t)
        let second = await service.countVelocity(
            environmentID: "env", visitorID: "v", ip: "203.0.113.2", country: nil, linkedID: nil, at: t + 1000)
        #expect(second.events == WindowCounts(2, 2, 2))
        #expect(second.distinctIP == WindowCounts(2, 2, 2))
    }
}
