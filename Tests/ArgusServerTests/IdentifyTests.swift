import ArgusCore
import Foundation
import ArgusStorage
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

@Suite struct IdentifyTests {
    @Test func identifyThenReadTheEventThroughServerAPI() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let first = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(linkedID: "user-7"))
            #expect(first.status == .ok)
            let r = first.json
            let requestID = try #require(r["requestId"]?.stringValue)
            let visitorID = try #require(r["visitorId"]?.stringValue)
            #expect(Identifiers.isEventID(requestID))
            #expect(visitorID.count == 20)
            #expect(r["visitorFound"] == .bool(false))
            #expect(r["confidence"]?["score"]?.doubleValue != nil)
            let token = try #require(r["token"]?.stringValue)

            let get = try await client.execute(uri: "/v4/events/\(requestID)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(get.status == .ok)
            let e = get.json
            #expect(e["event_id"] == .string(requestID))
            #expect(e["timestamp"] == .int(h.clock.now.withLock { $0 }))
            #expect(e["environment_id"] == .string(h.boot.environment.id))
            #expect(e["linked_id"] == "user-7")
            #expect(e["tags"] == ["cart": 3])
            #expect(e["url"] == "https://shop.example/checkout")
            #expect(e["client_referrer"] == "https://shop.example/cart")
            #expect(e["browser_details"]?["browser_name"] == "Chrome")
            #expect(e["identification"]?["visitor_id"] == .string(visitorID))
            #expect(e["identification"]?["visitor_found"] == false)
            #expect(e["identification"]?["first_seen_at"] == e["timestamp"])
            #expect(e["ip_address"]?.stringValue != nil)

            // The token brings the same visitor back, found, with the first visit's time.
            h.clock.advance(ms: 60_000)
            let second = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(token: token))
            #expect(second.json["visitorId"] == .string(visitorID))
            #expect(second.json["visitorFound"] == true)
            let id2 = try #require(second.json["requestId"]?.stringValue)
            let e2 = try await client.execute(uri: "/v4/events/\(id2)", method: .get, headers: bearer(h.boot.secretKey)).json
            #expect(e2["identification"]?["first_seen_at"] == e["timestamp"])
            #expect(e2["identification"]?["last_seen_at"] == e["timestamp"])
            #expect(e2["linked_id"] == nil)
        }
    }

    /// `ARGUS_MATCH_POLICY=fleet`: the same components again without token, arriving from another
    /// site (nothing says it was browsing here already), is another machine.
    @Test func theFleetPolicyGivesALoneIdenticalBrowserANewID() async throws {
        var config = ArgusConfig()
        config.matchPolicy = "fleet"
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let fromSearch = "https://www.google.com/"
            let a = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(referrer: fromSearch)).json
            let b = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(referrer: fromSearch)).json
            #expect(a["visitorId"] != nil && a["visitorId"] != b["visitorId"])
            #expect(b["visitorFound"] == false)
        }
    }

    /// The engine's clock is the server's: a Safari browser back without token from another
    /// address a week later (Safari deleted its storage) is found; an hour later the same visit
    /// is less likely the same browser (docs/identification.md, "Time").
    @Test func aSafariBrowserBackAfterAWeekOfSilenceKeepsItsID() async throws {
        let safari = Harness.desktopComponents
            .replacingOccurrences(
                of: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
                with: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/19.1 Safari/605.1.15")
            .replacingOccurrences(of: "Win32", with: "MacIntel").replacingOccurrences(of: "Google Inc.", with: "Apple Computer, Inc.")
        var answers: [JSON] = []
        for silence in [Int64(3_600_000), Int64(8 * 86_400_000)] {
            let h = try await Harness.make()
            defer { h.remove() }
            let back = try await h.app.test(.router) { client in
                func visit(from ip: String, referrer: String) async throws -> JSON {
                    let headers: HTTPFields = [
                        HTTPField.Name("FPJS-Proxy-Secret")!: h.boot.proxySecret, HTTPField.Name("FPJS-Proxy-Client-IP")!: ip,
                    ]
                    let body = h.identifyBody(components: safari, referrer: referrer)
                    return try await client.execute(uri: "/v1/identify", method: .post, headers: headers, body: body).json
                }
                // An established site: browsers of other hardware that come back with their tokens (a
                // deployment's first visits make the engine cautious, see DecisionFeatures.maturity).
                for i in 0..<5 {
                    let other = Harness.desktopComponents.replacingOccurrences(
                        of: "ANGLE (NVIDIA GeForce RTX 3060)", with: "Background GPU \(i)")
                    var token: String?
                    for _ in 0..<4 {
                        let headers: HTTPFields = [
                            HTTPField.Name("FPJS-Proxy-Secret")!: h.boot.proxySecret,
                            HTTPField.Name("FPJS-Proxy-Client-IP")!: "10.9.0.\(i + 1)",
                        ]
                        let r = try await client.execute(
                            uri: "/v1/identify", method: .post, headers: headers, body: h.identifyBody(token: token, components: other)
                        ).json
                        token = try #require(r["token"]?.stringValue)
                    }
                }
                let first = try await visit(from: "81.1.1.1", referrer: "https://shop.example/cart")
                h.clock.advance(ms: silence)
                // From the page it last saw (the checkout page), from another network, without its token.
                let back = try await visit(from: "93.4.4.4", referrer: "https://shop.example/checkout")
                if silence > 7 * 86_400_000 {  // Safari's storage expiry explains the missing token
                    #expect(back["visitorId"] == first["visitorId"])
                    #expect(back["visitorFound"] == .bool(true))
                }
                return back
            }
            answers.append(back)
        }
        // An hour later nothing explains the missing token: found or not (the fitted model's call;
        // coming from its last page is strong evidence), it is no surer than after the week (the
        // confidence map is monotone and flat at the top, so not strictly less).
        let hour = answers[0], week = answers[1]
        let hourScore = try #require(hour["confidence"]?["score"]?.doubleValue)
        let weekScore = try #require(week["confidence"]?["score"]?.doubleValue)
        #expect(hour["visitorFound"] == .bool(false) || hourScore <= weekScore)
    }

    @Test func anUnknownMatchPolicyStopsTheStart() async throws {
        var config = ArgusConfig()
        config.matchPolicy = "offices"
        config.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: config.dataDirectory) }
        await #expect(throws: ConfigurationError.self) { _ = try await ArgusRuntime.open(config) }
        do {
            _ = try await ArgusRuntime.open(config)
        } catch {
            #expect("\(error)".contains("ARGUS_MATCH_POLICY must be 'auto', 'household' or 'fleet'"))
        }
    }

    @Test func sameStableComponentsWithoutTokenAreFoundAgain() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let a = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).json
            let b = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).json
            let c = try await client.execute(
                uri: "/v1/identify", method: .post, body: h.identifyBody(components: Harness.otherComponents)
            ).json
            #expect(a["visitorId"] == b["visitorId"])
            #expect(b["visitorFound"] == true)
            #expect(c["visitorId"] != a["visitorId"])
            #expect(c["visitorFound"] == false)
        }
    }

    @Test func malformedRequestsGetJSONErrorsAndCreateNothing() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let notJSON = try await client.execute(uri: "/v1/identify", method: .post, body: ByteBuffer(string: "{nope"))
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.errorCode == "request_cannot_be_parsed")

            let badTypes = try await client.execute(
                uri: "/v1/identify", method: .post,
                body: h.identifyBody(components: #"{"screen":{"width":"big"},"languages":"en"}"#))
            #expect(badTypes.status == .badRequest)
            let message = try #require(badTypes.json["error"]?["message"]?.stringValue)
            #expect(message.contains("components.screen.width"))
            #expect(message.contains("components.languages"))

            let unknownKey = try await client.execute(
                uri: "/v1/identify", method: .post, body: h.identifyBody(publicKey: "pk_doesnotexist"))
            #expect(unknownKey.status == .forbidden)
            #expect(unknownKey.errorCode == "public_key_not_found")

            let huge = ByteBuffer(string: #"{"v":1,"publicKey":"\#(h.boot.publicKey)","components":{"x":""#
                + String(repeating: "a", count: 70_000) + "\"}}")
            let tooBig = try await client.execute(uri: "/v1/identify", method: .post, body: huge)
            #expect(tooBig.status == .contentTooLarge)
            #expect(tooBig.errorCode == "body_too_large")
        }
        #expect(try await h.runtime.store.eventCount(environmentID: nil) == 0)
    }

    @Test func revokedPublicKeyIsRefusedWithinASecond() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let p = Provisioning(runtime: h.runtime)
        let key = try await p.createKey(environment: h.boot.environment, kind: .public)
        try await h.app.test(.router) { client in
            let ok = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(publicKey: key.key))
            #expect(ok.status == .ok)
            #expect(try await p.revokeKey(id: key.record.id))
            h.clock.advance(ms: 1000)
            let refused = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(publicKey: key.key))
            #expect(refused.status == .forbidden)
        }
    }

    @Test func corsEchoesTheOriginAndHonoursAllowedOrigins() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let restricted = try await Provisioning(runtime: h.runtime).createKey(
            environment: h.boot.environment, kind: .public, allowedOrigins: ["https://shop.example"])
        try await h.app.test(.router) { client in
            let preflight = try await client.execute(
                uri: "/v1/identify", method: .options,
                headers: [.origin: "https://shop.example", .accessControlRequestMethod: "POST"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://shop.example")

            let allowed = try await client.execute(
                uri: "/v1/identify", method: .post, headers: [.origin: "https://shop.example"],
                body: h.identifyBody(publicKey: restricted.key))
            #expect(allowed.status == .ok)
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://shop.example")
            #expect(allowed.headers[.vary] == "Origin")
            // A page on another origin may read a 429's Retry-After (the agent waits that long once).
            #expect(allowed.headers[.accessControlExposeHeaders] == "Retry-After")

            let denied = try await client.execute(
                uri: "/v1/identify", method: .post, headers: [.origin: "https://evil.example"],
                body: h.identifyBody(publicKey: restricted.key))
            #expect(denied.status == .forbidden)
            #expect(denied.errorCode == "origin_not_allowed")
            #expect(denied.headers[.accessControlExposeHeaders] == "Retry-After")
        }
    }

    @Test func proxyClientIPIsTakenOnlyWithAValidProxySecret() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            func ipOfEvent(_ headers: HTTPFields) async throws -> String? {
                let r = try await client.execute(uri: "/v1/identify", method: .post, headers: headers, body: h.identifyBody()).json
                let id = try #require(r["requestId"]?.stringValue)
                return try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer(h.boot.secretKey))
                    .json["ip_address"]?.stringValue
            }
            let secret = HTTPField.Name("FPJS-Proxy-Secret")!
            let clientIP = HTTPField.Name("FPJS-Proxy-Client-IP")!
            let viaProxy = try await ipOfEvent([secret: h.boot.proxySecret, clientIP: "61.127.217.15"])
            let wrongSecret = try await ipOfEvent([secret: "wrong", clientIP: "61.127.217.15"])
            let noSecret = try await ipOfEvent([clientIP: "61.127.217.15"])
            let notAnIP = try await ipOfEvent([secret: h.boot.proxySecret, clientIP: "not-an-ip"])
            #expect(viaProxy == "61.127.217.15")
            #expect(wrongSecret != "61.127.217.15")
            #expect(noSecret != "61.127.217.15")
            #expect(notAnIP != "not-an-ip")
        }
    }
}

@Suite struct AgentAndDemoTests {
    @Test func agentScriptIsServedVersionedAndCacheable() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/agent.js", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("application/javascript") == true)
            let etag = try #require(r.headers[.eTag])
            let script = String(buffer: r.body)
            #expect(script.contains("Argus"))
            #expect(!script.contains(AgentAssets.versionPlaceholder))
            let again = try await client.execute(uri: "/agent.js", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            let version = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            let pinned = try await client.execute(uri: "/agent.js?v=\(version)", method: .get)
            #expect(pinned.headers[.cacheControl]?.contains("immutable") == true)
            let demo = try await client.execute(uri: "/demo?publicKey=pk_x", method: .get)
            #expect(demo.status == .ok)
            #expect(String(buffer: demo.body).contains("/agent.js"))
        }
    }

    @Test func agentScriptIsGzippedForClientsThatTakeGzipAndHeadGivesItsHeaders() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let plain = try await client.execute(uri: "/agent.js", method: .get)
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            let script = Array(buffer: plain.body)
            // What browsers send.
            let zipped = try await client.execute(
                uri: "/agent.js", method: .get, headers: [.acceptEncoding: "gzip, deflate, br, zstd"])
            #expect(zipped.status == .ok)
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(zipped.headers[.vary] == "Accept-Encoding")
            let version = try #require(plain.headers[.eTag]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            #expect(zipped.headers[.eTag] == "\"\(version)-gz\"")
            let packed = Array(buffer: zipped.body)
            #expect(packed.count * 3 < script.count)
            #expect(try RawDeflate.gunzip(packed, maxSize: 1 << 22) == script)
            // gzip refused by weight, or only other codings: the plain script.
            for refusal in ["gzip;q=0, br", "identity", "br;q=1.0, *;q=0", "*;q=0.5, gzip;q=0"] {
                let r = try await client.execute(uri: "/agent.js", method: .get, headers: [.acceptEncoding: refusal])
                #expect(r.headers[.contentEncoding] == nil, "\(refusal)")
                #expect(Array(buffer: r.body) == script, "\(refusal)")
            }
            let any = try await client.execute(uri: "/agent.js", method: .get, headers: [.acceptEncoding: "br, *;q=0.1"])
            #expect(any.headers[.contentEncoding] == "gzip")
            // HEAD: a GET's headers, no body.
            let head = try await client.execute(uri: "/agent.js", method: .head, headers: [.acceptEncoding: "gzip"])
            #expect(head.status == .ok)
            #expect(head.headers[.contentEncoding] == "gzip")
            #expect(head.headers[.contentLength] == String(packed.count))
            #expect(head.body.readableBytes == 0)
            // Revalidation with either coding's tag, weak or strong, in a list, or `*`; a stale tag gets the script.
            for tags in ["\"\(version)-gz\"", "W/\"\(version)\"", "\"old\", W/\"\(version)-gz\"", "*"] {
                let r = try await client.execute(
                    uri: "/agent.js", method: .get, headers: [.ifNoneMatch: tags, .acceptEncoding: "gzip"])
                #expect(r.status == .notModified, "\(tags)")
                #expect(r.body.readableBytes == 0)
            }
            let stale = try await client.execute(uri: "/agent.js", method: .get, headers: [.ifNoneMatch: "\"0123456789ab\""])
            #expect(stale.status == .ok)
            #expect(Array(buffer: stale.body) == script)
        }
    }

    @Test func demoEventsNeedTheEnvironmentsPublicKeyAndAreRecentOnly() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let other = try await Provisioning(runtime: h.runtime).createEnvironment(name: "other")
        let otherKey = try await Provisioning(runtime: h.runtime).createKey(environment: other, kind: .public)
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).json
            let id = try #require(r["requestId"]?.stringValue)
            let ok = try await client.execute(uri: "/demo/events/\(id)?publicKey=\(h.boot.publicKey)", method: .get)
            #expect(ok.status == .ok)
            #expect(ok.json["event_id"] == .string(id))
            let wrongEnv = try await client.execute(uri: "/demo/events/\(id)?publicKey=\(otherKey.key)", method: .get)
            #expect(wrongEnv.status == .notFound)
            let noKey = try await client.execute(uri: "/demo/events/\(id)", method: .get)
            #expect(noKey.status == .forbidden)
            h.clock.advance(ms: 11 * 60 * 1000)
            let old = try await client.execute(uri: "/demo/events/\(id)?publicKey=\(h.boot.publicKey)", method: .get)
            #expect(old.status == .notFound)
        }
    }
}
