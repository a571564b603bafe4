import ArgusCore
import ArgusStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArgusServer

/// Stores an event (and the visitor's state) directly, with a risk verdict and place.
func recordDeviceEvent(
    _ h: Harness, device: String, environmentID: String? = nil, at time: Int64, score: Int = 0, flags: [String] = [],
    country: String? = nil, city: String? = nil, linkedID: String? = nil
) async throws -> String {
    let env = environmentID ?? h.boot.environment.id
    let id = Identifiers.eventID(timestampMs: time)
    let event = StoredEvent(
        id: id, environmentID: env, visitorID: device, timestamp: time, linkedID: linkedID, ipAddress: "203.0.113.7",
        document: Array(#"{"event_id":"\#(id)","url":"https://shop.example/p/\#(device)","client_referrer":"https://ref.example/"}"#.utf8),
        components: Array("{}".utf8), risk: RiskSummary(score: score, flags: flags), country: country, city: city)
    try await h.runtime.store.recordEvent(
        event, visitor: VisitorRecord(environmentID: env, id: device, firstSeenAt: time, lastSeenAt: time, eventCount: 1))
    return id
}

extension TestResponse {
    var keys: [String] { json.objectValue?.entries.map(\.0) ?? [] }
}

@Suite struct DeviceAPITests {
    static let day: Int64 = 86_400_000

    @Test func lookupServesTheSeedsFieldsFromTheLatestEvent() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let t0 = h.clock.now.withLock { $0 }
        _ = try await recordDeviceEvent(h, device: "dev_A", at: t0 - 2 * Self.day, score: 10, country: "DE", city: "Berlin")
        _ = try await recordDeviceEvent(
            h, device: "dev_A", at: t0, score: 65, flags: ["webdriver", "headless_browser"], country: "US", city: "San Francisco")
        // An older event arriving late does not replace the latest verdict.
        _ = try await recordDeviceEvent(h, device: "dev_A", at: t0 - Self.day, score: 5, country: "FR", city: "Paris")
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/device/dev_A", method: .get, headers: bearer(h.boot.secretKey))
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            #expect(r.keys == ["ok", "device"])
            #expect(r.json["ok"] == .bool(true))
            let d = try #require(r.json["device"])
            #expect(
                d.objectValue?.entries.map(\.0) == [
                    "deviceId", "domainId", "score", "riskLevel", "confidence", "flags", "country", "city", "createdAt",
                    "lastSubmittedAt", "lastSeenAt",
                ])
            #expect(d["deviceId"] == "dev_A")
            #expect(d["domainId"]?.stringValue == h.boot.environment.id)
            #expect(d["score"] == .int(65))
            #expect(d["riskLevel"] == "high")
            #expect(d["confidence"]?.doubleValue == 0.85)
            #expect(d["flags"] == ["webdriver", "headless_browser"])
            #expect(d["country"] == "US")
            #expect(d["city"] == "San Francisco")
            #expect(d["createdAt"]?.stringValue == ISOTime.format(t0 - 2 * Self.day))
            #expect(d["lastSubmittedAt"]?.stringValue == ISOTime.format(t0))
            #expect(d["lastSeenAt"]?.stringValue == ISOTime.format(t0))
        }
    }

    @Test func theDeviceRowFollowsItsEventsWhateverTheirOrder() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let t0 = h.clock.now.withLock { $0 }
        _ = try await recordDeviceEvent(h, device: "dev_B", at: t0, score: 30, country: "DE", city: "Berlin")
        // An event older than the device's first one arrives late: only createdAt moves back.
        _ = try await recordDeviceEvent(h, device: "dev_B", at: t0 - 3 * Self.day, score: 90, country: "FR", city: "Paris")
        // A newer event with the same score but another place: the place follows it.
        _ = try await recordDeviceEvent(h, device: "dev_B", at: t0 + 1000, score: 30, country: "AT", city: "Wien")
        try await h.app.test(.router) { client in
            let d = try #require(
                try await client.execute(uri: "/v1/device/dev_B", method: .get, headers: bearer(h.boot.secretKey)).json["device"])
            #expect(d["createdAt"]?.stringValue == ISOTime.format(t0 - 3 * Self.day))
            #expect(d["lastSeenAt"]?.stringValue == ISOTime.format(t0 + 1000))
            #expect(d["lastSubmittedAt"]?.stringValue == ISOTime.format(t0 + 1000))
            #expect(d["score"] == .int(30))
            #expect(d["country"] == "AT")
            #expect(d["city"] == "Wien")
        }
    }

    @Test func isoTimesAreUTCWithMilliseconds() {
        #expect(ISOTime.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(ISOTime.format(1_736_080_200_123) == "2025-01-05T12:30:00.123Z")
        #expect(ISOTime.format(951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(ISOTime.format(-1) == "1969-12-31T23:59:59.999Z")
        #expect(ISOTime.parse("2025-01-05T12:30:00.123Z") == 1_736_080_200_123)
        #expect(ISOTime.parse("2025-01-05T12:30:00Z") == 1_736_080_200_000)
        #expect(ISOTime.parse("1736080200123") == 1_736_080_200_123)
        #expect(ISOTime.parse("yesterday") == nil)
    }

    @Test func identifyCreatesADeviceWithTheEventsRisk() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            let visitor = try #require(r.json["visitorId"]?.stringValue)
            // The answer carries the event's verdict for checkOnce() (score, risk_level).
            #expect(r.json["risk"] == ["score": .int(0), "level": "minimal", "confidence": .double(0.5), "flags": []])
            let d = try await client.execute(uri: "/v1/device/\(visitor)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(d.status == .ok)
            let now = ISOTime.format(h.clock.now.withLock { $0 })
            #expect(d.json["device"]?["deviceId"]?.stringValue == visitor)
            // Until the signals fill RiskSummary, an event carries .none: score 0, minimal, 0.5.
            #expect(d.json["device"]?["riskLevel"] == "minimal")
            #expect(d.json["device"]?["confidence"]?.doubleValue == 0.5)
            #expect(d.json["device"]?["country"] == .null)
            #expect(d.json["device"]?["createdAt"]?.stringValue == now)
        }
    }

    @Test func erasingAVisitorErasesItsDevice() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            let visitor = try #require(r.json["visitorId"]?.stringValue)
            let uri = "/v1/device/\(visitor)"
            #expect(try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey)).status == .ok)
            let deleted = try await client.execute(uri: "/v4/visitors/\(visitor)", method: .delete, headers: bearer(h.boot.secretKey))
            #expect(deleted.status == .ok)
            #expect(try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey)).status == .notFound)
            let list = try await client.execute(uri: "/v1/devices", method: .get, headers: bearer(h.boot.secretKey))
            #expect(list.json["devices"] == .array([]))
        }
    }

    @Test func errorsHaveTheirStatusesAndOneShape() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let p = Provisioning(runtime: h.runtime)
        let noScope = try await p.createKey(environment: h.boot.environment, kind: .secret, scopes: [.readEvents])
        let staging = try await p.createEnvironment(name: "staging")
        let stagingKey = try await p.createKey(environment: staging, kind: .secret, scopes: [.readDevice])
        let workspaceKey = try await p.createKey(environment: nil, kind: .secret, scopes: [.readDevice])
        let revoked = try await p.createKey(environment: h.boot.environment, kind: .secret, scopes: [.readDevice])
        _ = try await p.revokeKey(id: revoked.record.id)
        _ = try await recordDeviceEvent(h, device: "dev_B", at: h.clock.now.withLock { $0 })
        try await h.app.test(.router) { client in
            let missing = try await client.execute(uri: "/v1/device/dev_B", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(missing.json == ["ok": false, "error": ["code": "unauthorized", "message": "invalid or missing API key"]])
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            for bad in ["sk_unknown", revoked.key] {
                let r = try await client.execute(uri: "/v1/device/dev_B", method: .get, headers: bearer(bad))
                #expect(r.status == .unauthorized)
            }
            let basic = try await client.execute(uri: "/v1/device/dev_B", method: .get, headers: [.authorization: "Basic eDp5"])
            #expect(basic.status == .unauthorized)

            let forbidden = try await client.execute(uri: "/v1/device/dev_B", method: .get, headers: bearer(noScope.key))
            #expect(forbidden.status == .forbidden)
            #expect(
                forbidden.json == ["ok": false, "error": ["code": "insufficient_scope", "message": "the API key lacks the scope read:device"]])

            let unknown = try await client.execute(uri: "/v1/device/dev_nope", method: .get, headers: bearer(h.boot.secretKey))
            #expect(unknown.status == .notFound)
            #expect(unknown.json == ["ok": false, "error": ["code": "device_not_found", "message": "device not found"]])
            let malformed = try await client.execute(uri: "/v1/device/a%27b", method: .get, headers: bearer(h.boot.secretKey))
            #expect(malformed.status == .notFound)

            // Another environment's key does not see it; a workspace key does.
            #expect(try await client.execute(uri: "/v1/device/dev_B", method: .get, headers: bearer(stagingKey.key)).status == .notFound)
            #expect(try await client.execute(uri: "/v1/device/dev_B", method: .get, headers: bearer(workspaceKey.key)).status == .ok)

            // Every route checks its own scope.
            for (uri, scope) in [
                ("/v1/devices", "read:device"), ("/v1/visits", "read:device"), ("/v1/exports/fingerprints", "export"),
            ] {
                let r = try await client.execute(uri: uri, method: .get, headers: bearer(noScope.key))
                #expect(r.status == .forbidden, "\(uri)")
                #expect(r.json["error"]?["message"]?.stringValue == "the API key lacks the scope \(scope)")
            }
            let events = try await client.execute(uri: "/v1/events", method: .get, headers: bearer(stagingKey.key))
            #expect(events.status == .forbidden)
            #expect(try await client.execute(uri: "/v1/events", method: .get, headers: bearer(noScope.key)).status == .ok)

            for uri in [
                "/v1/devices?riskLevel=bad", "/v1/devices?flag=Not-Snake", "/v1/devices?country=USA", "/v1/devices?seenSince=yesterday",
                "/v1/devices?sort=name", "/v1/devices?limit=0", "/v1/devices?cursor=abc.def", "/v1/events?deviceId=a%27b",
                "/v1/visits?limit=101", "/v1/exports/fingerprints?format=xml",
            ] {
                let r = try await client.execute(uri: uri, method: .get, headers: bearer(h.boot.secretKey))
                #expect(r.status == .badRequest, "\(uri)")
                #expect(r.json["ok"] == .bool(false))
                #expect(r.json["error"]?["code"] == "invalid_parameter")
            }
        }
    }

    @Test func devicesFilterSortAndPaginate() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let t0 = h.clock.now.withLock { $0 }
        let specs: [(String, Int, [String], String?)] = [
            ("d1", 5, [], "US"), ("d2", 25, ["vpn"], "DE"), ("d3", 45, ["vpn", "proxy"], "US"),
            ("d4", 65, ["webdriver"], "US"), ("d5", 85, ["webdriver", "headless_browser"], "FR"), ("d6", 90, ["tor"], nil),
        ]
        for (i, s) in specs.enumerated() {
            _ = try await recordDeviceEvent(h, device: s.0, at: t0 - Int64(i) * 3_600_000, score: s.1, flags: s.2, country: s.3)
        }
        let staging = try await Provisioning(runtime: h.runtime).createEnvironment(name: "staging")
        _ = try await recordDeviceEvent(h, device: "s1", environmentID: staging.id, at: t0, score: 99)
        @Sendable func ids(_ r: TestResponse) -> [String] { r.json["devices"]?.arrayValue?.compactMap { $0["deviceId"]?.stringValue } ?? [] }
        try await h.app.test(.router) { client in
            let key = bearer(h.boot.secretKey)
            let all = try await client.execute(uri: "/v1/devices", method: .get, headers: key)
            #expect(all.status == .ok)
            #expect(all.keys == ["ok", "devices", "nextCursor"])
            #expect(ids(all) == ["d1", "d2", "d3", "d4", "d5", "d6"])  // newest first, own environment only
            #expect(all.json["nextCursor"] == .null)

            #expect(ids(try await client.execute(uri: "/v1/devices?riskLevel=high,critical", method: .get, headers: key)) == ["d4", "d5", "d6"])
            #expect(ids(try await client.execute(uri: "/v1/devices?riskLevel=low", method: .get, headers: key)) == ["d2"])
            #expect(ids(try await client.execute(uri: "/v1/devices?flag=vpn", method: .get, headers: key)) == ["d2", "d3"])
            #expect(ids(try await client.execute(uri: "/v1/devices?flag=v", method: .get, headers: key)) == [])
            #expect(ids(try await client.execute(uri: "/v1/devices?country=us", method: .get, headers: key)) == ["d1", "d3", "d4"])
            let since = ISOTime.format(t0 - 2 * 3_600_000)
            #expect(ids(try await client.execute(uri: "/v1/devices?seenSince=\(since)", method: .get, headers: key)) == ["d1", "d2", "d3"])
            #expect(
                ids(try await client.execute(uri: "/v1/devices?seenUntil=\(t0 - 4 * 3_600_000)", method: .get, headers: key)) == ["d5", "d6"])
            #expect(ids(try await client.execute(uri: "/v1/devices?sort=-score", method: .get, headers: key)) == ["d6", "d5", "d4", "d3", "d2", "d1"])
            #expect(ids(try await client.execute(uri: "/v1/devices?sort=lastSeenAt", method: .get, headers: key)) == ["d6", "d5", "d4", "d3", "d2", "d1"])

            // Pages of 2 with signed cursors; a cursor does not carry over to another query.
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/devices?sort=score&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let r = try await client.execute(uri: uri, method: .get, headers: key)
                #expect(r.status == .ok)
                seen += ids(r)
                cursor = r.json["nextCursor"]?.stringValue
                pages += 1
                if let c = cursor {
                    let other = try await client.execute(uri: "/v1/devices?sort=-score&limit=2&cursor=\(c)", method: .get, headers: key)
                    #expect(other.status == .badRequest)
                }
            } while cursor != nil && pages < 10
            #expect(seen == ["d1", "d2", "d3", "d4", "d5", "d6"])
            #expect(pages == 3)

            // A workspace key sees every environment, and pages across them.
            let workspace = try await Provisioning(runtime: h.runtime).createKey(environment: nil, kind: .secret)
            var all2: [String] = []
            cursor = nil
            repeat {
                let r = try await client.execute(
                    uri: "/v1/devices?limit=4" + (cursor.map { "&cursor=\($0)" } ?? ""), method: .get, headers: bearer(workspace.key))
                all2 += ids(r)
                cursor = r.json["nextCursor"]?.stringValue
            } while cursor != nil && all2.count < 20
            #expect(Set(all2) == ["d1", "d2", "d3", "d4", "d5", "d6", "s1"])
            #expect(all2.count == 7)
        }
    }

    @Test func eventsAndVisitsListSubmissions() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let t0 = h.clock.now.withLock { $0 }
        var recorded: [String] = []
        for i in 0..<5 {
            recorded.append(
                try await recordDeviceEvent(
                    h, device: i < 3 ? "dA" : "dB", at: t0 - Int64(i) * 1000, score: 20 * i, flags: i == 4 ? ["tor"] : [],
                    country: "NL", city: "Amsterdam", linkedID: "user-\(i)"))
        }
        let ids = recorded
        try await h.app.test(.router) { client in
            let key = bearer(h.boot.secretKey)
            let r = try await client.execute(uri: "/v1/events?limit=2", method: .get, headers: key)
            #expect(r.status == .ok)
            #expect(r.keys == ["ok", "events", "nextCursor"])
            let first = try #require(r.json["events"]?.arrayValue?.first)
            #expect(
                first.objectValue?.entries.map(\.0) == [
                    "eventId", "deviceId", "domainId", "timestamp", "score", "riskLevel", "confidence", "flags", "ip", "country",
                    "city", "linkedId",
                ])
            #expect(first["eventId"]?.stringValue == ids[0])
            #expect(first["timestamp"]?.stringValue == ISOTime.format(t0))
            let cursor = try #require(r.json["nextCursor"]?.stringValue)
            let page2 = try await client.execute(uri: "/v1/events?limit=2&cursor=\(cursor)", method: .get, headers: key)
            #expect(page2.json["events"]?.arrayValue?.compactMap { $0["eventId"]?.stringValue } == [ids[2], ids[3]])
            #expect(page2.json["events"]?.arrayValue?.first?["riskLevel"] == "medium")

            let b = try await client.execute(uri: "/v1/events?deviceId=dB", method: .get, headers: key)
            #expect(b.json["events"]?.arrayValue?.compactMap { $0["eventId"]?.stringValue } == [ids[3], ids[4]])
            #expect(b.json["events"]?.arrayValue?.last?["flags"] == ["tor"])

            let v = try await client.execute(uri: "/v1/visits?deviceId=dA&since=\(t0 - 1000)", method: .get, headers: key)
            #expect(v.status == .ok)
            let visits = try #require(v.json["visits"]?.arrayValue)
            #expect(visits.count == 2)
            #expect(
                visits.first?.objectValue?.entries.map(\.0) == [
                    "visitId", "deviceId", "domainId", "timestamp", "url", "referrer", "ip", "country", "city",
                ])
            #expect(visits.first?["url"] == "https://shop.example/p/dA")
            #expect(visits.first?["city"] == "Amsterdam")
        }
    }
}
