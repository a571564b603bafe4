import ArgusCore
import ArgusSignals
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

/// Smart signals through `/v1/identify` → `GET /v4/events/{id}`: computed on
/// the server from the components and the request, stored in the event.
@Suite struct SignalsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("ArgusSignalsTests/Fixtures")

    static func capturedComponents(_ name: String) throws -> String {
        let body = try JSONParser.parse(Array(try Data(contentsOf: fixtures.appendingPathComponent(name))))
        return String(decoding: JSONWriter.bytes(body["components"]!), as: UTF8.self)
    }

    static let proxySecret = HTTPField.Name("FPJS-Proxy-Secret")!
    static let clientIP = HTTPField.Name("FPJS-Proxy-Client-IP")!

    func event(
        _ client: some TestClientProtocol, _ h: Harness, components: String, headers: HTTPFields = [:], linkedID: String? = nil,
        token: inout String?
    ) async throws -> JSON {
        let r = try await client.execute(
            uri: "/v1/identify", method: .post, headers: headers, body: h.identifyBody(token: token, linkedID: linkedID, components: components))
        #expect(r.status == .ok)
        token = r.json["token"]?.stringValue
        let id = try #require(r.json["requestId"]?.stringValue)
        return try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer(h.boot.secretKey)).json
    }

    func event(_ client: some TestClientProtocol, _ h: Harness, components: String, headers: HTTPFields = [:]) async throws -> JSON {
        var token: String?
        return try await event(client, h, components: components, headers: headers, token: &token)
    }

    @Test func seleniumIsABadBotAndAnOrdinaryBrowserIsNot() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let bot = try await event(client, h, components: try Self.capturedComponents("chromium156-selenium-headless.json"))
            #expect(bot["bot"] == "bad")
            #expect(bot["bot_type"] == "selenium")
            #expect(bot["suspect_score"]?.intValue ?? 0 >= 10)
            #expect(bot["risk"]?["level"] == "critical")
            #expect(bot["risk"]?["flags"]?.arrayValue?.contains("webdriver") == true)
            #expect(bot["velocity"]?["events"]?["5_minutes"] == 1)

            let human = try await event(client, h, components: Harness.desktopComponents)
            #expect(human["bot"] == "not_detected")
            #expect(human["bot_type"] == nil)
            #expect(human["incognito"] == false)
            #expect(human["tampering"] == false)
            #expect(human["suspect_score"] == 0)
            #expect(human["risk"]?["score"] == 0)
            #expect(human["risk"]?["level"] == "minimal")
            #expect(human["risk"]?["confidence"] == 0.5)
            // No IP data configured: no IP signals rather than guesses.
            for absent in ["ip_info", "ip_blocklist", "proxy", "vpn"] { #expect(human[absent] == nil, "\(absent)") }
            // The risk reaches the store for the Device API.
            let stored = try await h.runtime.store.event(id: human["event_id"]!.stringValue!, environmentID: nil)
            #expect(stored != nil)
        }
    }

    @Test func chromiumIncognitoWindowIsStoredAsIncognito() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let privateWindow = try await event(client, h, components: try Self.capturedComponents("chromium156-incognito-headful.json"))
            #expect(privateWindow["incognito"] == true)
            #expect(privateWindow["risk"]?["flags"]?.arrayValue?.contains("incognito") == true)
            let normalWindow = try await event(client, h, components: try Self.capturedComponents("chromium156-normal-headful.json"))
            #expect(normalWindow["incognito"] == false)
            #expect(normalWindow["risk"]?["flags"]?.arrayValue?.contains("incognito") == false)
        }
    }

    @Test func ipDataFillsIPInfoTorAndVPN() async throws {
        var config = ArgusConfig()
        config.ipCountryDB = [Self.fixtures.appendingPathComponent("geoip-excerpt").path]
        config.ipASNDB = Self.fixtures.appendingPathComponent("location-dump-excerpt.txt").path
        config.zoneTab = Self.fixtures.appendingPathComponent("zone.tab").path
        let exits = FileManager.default.temporaryDirectory.appendingPathComponent("exits-\(UUID().uuidString)")
        try "# test exits\n5.9.10.11\n".write(to: exits, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: exits) }
        config.torExits = exits.path
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        try await h.app.test(.router) { client in
            // desktopComponents say Europe/Berlin; 5.9.10.10 is Hetzner in Germany.
            let e = try await event(client, h, components: Harness.desktopComponents, headers: [Self.proxySecret: h.boot.proxySecret, Self.clientIP: "5.9.10.10"])
            #expect(e["ip_info"]?["v4"]?["geolocation"]?["country_code"] == "DE")
            #expect(e["ip_info"]?["v4"]?["asn"] == "24940")
            #expect(e["ip_info"]?["v4"]?["datacenter_result"] == true)
            #expect(e["ip_blocklist"]?["tor_node"] == false)
            #expect(e["proxy"] == true)
            #expect(e["vpn"] == false)
            #expect(e["vpn_methods"]?["timezone_mismatch"] == false)
            #expect(e["vpn_origin_timezone"] == "Europe/Berlin")
            #expect(e["risk"]?["flags"]?.arrayValue?.contains("datacenter_ip") == true)

            let tor = try await event(client, h, components: Harness.otherComponents, headers: [Self.proxySecret: h.boot.proxySecret, Self.clientIP: "5.9.10.11"])
            #expect(tor["ip_blocklist"]?["tor_node"] == true)
            #expect(tor["risk"]?["flags"]?.arrayValue?.contains("tor") == true)

            // An Australian address with a Berlin time zone.
            let away = try await event(client, h, components: Harness.desktopComponents, headers: [Self.proxySecret: h.boot.proxySecret, Self.clientIP: "1.0.0.9"])
            #expect(away["vpn"] == true)
            #expect(away["vpn_methods"]?["timezone_mismatch"] == true)
            #expect(away["vpn_origin_country"] == "DE")
        }
    }

    @Test func unreadableIPDataRefusesToStart() async throws {
        var config = ArgusConfig()
        config.torExits = "/nonexistent/exits.txt"
        await #expect(throws: ConfigurationError.self) { _ = try await Harness.make(config: config) }
    }

    struct FakeDNS: CrawlerResolver {
        func hostnames(of address: String) async -> [String] { address == "66.249.66.1" ? ["crawl-66-249-66-1.googlebot.com."] : ["host.example.net"] }
        func addresses(of host: String) async -> [String] { host == "crawl-66-249-66-1.googlebot.com" ? ["66.249.66.1"] : [] }
    }

    /// The system resolver both ways on the loopback address (from /etc/hosts, no network):
    /// the reverse name it gives resolves forward to the same address, as crawler checks need.
    @Test func theSystemResolverNamesTheLoopbackAddressBothWays() async throws {
        let resolver = SystemResolver()
        let names = await resolver.hostnames(of: "127.0.0.1")
        let name = try #require(names.first)
        #expect(!name.isEmpty && !name.contains("\0"))
        #expect(await resolver.addresses(of: name).contains("127.0.0.1"))
        #expect(await resolver.hostnames(of: "not an address").isEmpty)
    }

    @Test func crawlersAreVerifiedByDNS() async throws {
        let h = try await Harness.make(resolver: FakeDNS())
        defer { h.remove() }
        let googlebot = Harness.desktopComponents.replacingOccurrences(
            of: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
            with: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
        try await h.app.test(.router) { client in
            let real = try await event(client, h, components: googlebot, headers: [Self.proxySecret: h.boot.proxySecret, Self.clientIP: "66.249.66.1"])
            #expect(real["bot"] == "good")
            #expect(real["bot_type"] == "googlebot")
            let fake = try await event(client, h, components: googlebot, headers: [Self.proxySecret: h.boot.proxySecret, Self.clientIP: "203.0.113.7"])
            #expect(fake["bot"] == "bad")
            #expect(fake["bot_type"] == "fake_googlebot")
        }
    }

    @Test func velocityCountsAcrossVisitsAndErasureForgetsThem() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            var last = JSON.null
            var token: String?
            for i in 0..<9 {
                h.clock.advance(ms: 30_000)
                last = try await event(
                    client, h, components: Harness.desktopComponents,
                    headers: [Self.proxySecret: h.boot.proxySecret, Self.clientIP: "198.51.100.\(i + 1)"], linkedID: "acct-1",
                    token: &token)
            }
            #expect(last["velocity"]?["events"]?["5_minutes"] == 9)
            #expect(last["velocity"]?["distinct_ip"]?["1_hour"] == 9)
            #expect(last["velocity"]?["distinct_linked_id"]?["24_hours"] == 1)
            #expect(last["velocity"]?["distinct_ip_by_linked_id"]?["1_hour"] == 9)
            #expect(last["risk"]?["flags"]?.arrayValue?.contains("velocity_ip") == true)
            let visitor = last["identification"]!["visitor_id"]!.stringValue!
            let deleted = try await client.execute(uri: "/v4/visitors/\(visitor)", method: .delete, headers: bearer(h.boot.secretKey))
            #expect(deleted.status == .ok)
            let fresh = h.runtime.signals.velocity.record(
                environmentID: h.boot.environment.id, visitorID: visitor, ip: "198.51.100.1", country: nil, linkedID: nil, at: h.clock.now.withLock { $0 })
            #expect(fresh.events.day == 1)
        }
    }

    @Test func velocityCountersSurviveARestart() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let visitor = try await h.app.test(.router) { client in
            var token: String?
            var visitor = ""
            for i in 0..<5 {
                h.clock.advance(ms: 60_000)
                let e = try await event(
                    client, h, components: Harness.desktopComponents,
                    headers: [Self.proxySecret: h.boot.proxySecret, Self.clientIP: "203.0.113.\(i + 1)"], linkedID: "acct-9", token: &token)
                visitor = e["identification"]!["visitor_id"]!.stringValue!
            }
            return visitor
        }
        // A new process: empty counters, refilled from the store's last 24 hours.
        let restarted = SignalService()
        let now = h.clock.now.withLock { $0 }
        await restarted.warmUpVelocity(store: h.runtime.store, now: now, logger: h.runtime.logger)
        let c = restarted.velocity.record(
            environmentID: h.boot.environment.id, visitorID: visitor, ip: "203.0.113.1", country: nil, linkedID: "acct-9", at: now + 1000)
        #expect(c.events.oneHour == 6)
        #expect(c.distinctIP.oneHour == 5)
        #expect(c.distinctVisitorByLinkedID?.day == 1)
        // Events older than a day are not counted.
        let later = SignalService()
        await later.warmUpVelocity(store: h.runtime.store, now: now + 2 * 86_400_000, logger: h.runtime.logger)
        #expect(later.velocity.keyCount == 0)
    }
}
