import ArgusCore
import ArgusIdentification
import ArgusStorage
import Foundation
import Testing

@testable import ArgusServer

/// A join (a visitor created on a close call folded into its silent rival) is acknowledged to the
/// browser, so it must survive a restart: the joined visitor's new state is stored with the event.
@Suite struct JoinPersistenceTests {
    static func observation(ip: String) -> Observation {
        let components: JSON = [
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
            "platform": "Win32", "vendor": "Google Inc.", "languages": ["en-US", "en"], "timezone": "Europe/Berlin",
            "screen": ["width": 1920, "height": 1080, "colorDepth": 24, "pixelRatio": 1], "hardwareConcurrency": 8,
            "canvas": "c0ffee", "webglRenderer": "ANGLE (NVIDIA GeForce RTX 3060)", "audio": 124.04347527516074,
            "fonts": ["Arial", "Calibri"], "storageQuota": 296_630_877_388.0, "cookiesEnabled": true,
        ]
        return Observation(components: Components(raw: components.objectValue!), clientIP: ip)
    }

    /// An engine whose every decision is stored as `/v1/identify` stores it (event, visitor, joined visitor).
    struct StoredEngine {
        let h: Harness
        var engine: IdentificationEngine
        var n = 0
        var time: Int64 = 1_000_000
        var env: String { h.boot.environment.id }

        mutating func visit(_ o: Observation, ip: String, token: TokenClaim? = nil) async throws -> Decision {
            time += 1000
            var count = n
            let d = engine.identify(
                o, token: token, at: time,
                newVisitorID: {
                    count += 1
                    return "visitor-\(count)"
                }, newInstance: { UInt64(100 + count) })
            n = count
            let id = Identifiers.eventID(timestampMs: time)
            let event = StoredEvent(
                id: id, environmentID: env, visitorID: d.visitorID, timestamp: time, linkedID: nil, ipAddress: ip,
                document: Array(#"{"event_id":"\#(id)"}"#.utf8), components: Array("{}".utf8), risk: RiskSummary(score: 0, flags: []),
                country: nil, city: nil)
            try await h.runtime.store.recordEvent(
                event, visitor: VisitorRecord(environmentID: env, profile: d.profile),
                joined: d.joined.map { VisitorRecord(environmentID: env, profile: $0) })
            return d
        }

        /// An engine rebuilt from the store, as at start.
        func restarted(model: DecisionModel) async throws -> IdentificationEngine {
            var engine = IdentificationEngine(model: model)
            for v in try await h.runtime.store.visitors(environmentID: env) {
                if let p = Profile(encoded: v.profile) { engine.load(p) }
            }
            return engine
        }
    }

    @Test func aJoinOutlivesARestart() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let env = h.boot.environment.id
        var model = DecisionModel(policy: .fleet)
        model.joinCoefficients = JoinFeatures.names.map { $0 == "sharedAddress" ? 10 : $0 == "bias" ? -5 : 0 }
        var stored = StoredEngine(h: h, engine: IdentificationEngine(model: model))
        func visit(_ ip: String, token: TokenClaim? = nil) async throws -> Decision {
            try await stored.visit(Self.observation(ip: ip), ip: ip, token: token)
        }
        let home = try await visit("81.1.1.1")
        _ = try await visit("82.2.2.2", token: TokenClaim(visitorID: home.visitorID, instance: home.instance))
        _ = try await visit("81.1.1.1", token: TokenClaim(visitorID: home.visitorID, instance: home.instance))
        let cafe = try await visit("95.5.5.5")
        let cafeToken = TokenClaim(visitorID: cafe.visitorID, instance: cafe.instance)
        _ = try await visit("82.2.2.2", token: cafeToken)
        let joined = try await visit("96.6.6.6", token: cafeToken)
        #expect(joined.basis == .joined)
        #expect(joined.visitorID == home.visitorID)

        // The stored state of the joined visitor leads to its rival; its own counts are untouched.
        let row = try #require(try await h.runtime.store.visitor(id: cafe.visitorID, environmentID: env))
        #expect(Profile(encoded: row.profile)?.mergedInto == home.visitorID)
        #expect(row.eventCount == 2)

        // A restart rebuilds the engine from the store: the joined visitor's token still leads to the rival.
        var restarted = try await stored.restarted(model: model)
        let after = restarted.identify(
            Self.observation(ip: "96.6.6.6"), token: cafeToken, at: stored.time + 1000, newVisitorID: { "fresh" },
            newInstance: { 999 })
        #expect(after.visitorID == home.visitorID)
    }

    /// A household's move (learned from a browser that kept its token) is stored with that
    /// browser's visitor, so the server still knows where the household went after a restart.
    @Test func aHouseholdsMoveOutlivesARestart() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        var stored = StoredEngine(h: h, engine: IdentificationEngine())
        let laptop = try await stored.visit(Self.observation(ip: "81.1.1.1"), ip: "81.1.1.1")
        let token = TokenClaim(visitorID: laptop.visitorID, instance: laptop.instance)
        let moved = try await stored.visit(Self.observation(ip: "82.2.2.2"), ip: "82.2.2.2", token: token)
        #expect(moved.basis == .token)
        let a = Self.observation(ip: "81.1.1.1").ip
        let x = Self.observation(ip: "82.2.2.2").ip
        #expect(stored.engine.index.formerAddresses(of: x) == [a])

        let row = try #require(try await h.runtime.store.visitor(id: laptop.visitorID, environmentID: h.boot.environment.id))
        #expect(Profile(encoded: row.profile)?.move == Profile.AddressMove(from: a, to: x, at: stored.time))
        let restarted = try await stored.restarted(model: DecisionModel())
        #expect(restarted.index.formerAddresses(of: x) == [a])
        #expect(restarted.index.formerAddresses(of: a).isEmpty)
    }
}
