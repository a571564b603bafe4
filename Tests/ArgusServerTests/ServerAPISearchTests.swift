import ArgusCore
import ArgusStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

@Suite struct ServerAPISearchTests {
    func identify(_ client: some TestClientProtocol, _ h: Harness, linkedID: String? = nil, components: String = Harness.desktopComponents)
        async throws -> JSON
    {
        h.clock.advance(ms: 10)
        return try await client.execute(
            uri: "/v1/identify", method: .post, body: h.identifyBody(linkedID: linkedID, components: components)
        ).json
    }

    @Test func searchPagesThroughEverythingWithKeysetPagination() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            var ids: [String] = []
            for i in 0..<23 { ids.append(try #require(try await identify(client, h, linkedID: "u\(i % 2)")["requestId"]?.stringValue)) }
            var seen: [String] = []
            var key: String?
            var pages = 0
            repeat {
                let suffix = key.map { "&pagination_key=\($0)" } ?? ""
                let page = try await client.execute(uri: "/v4/events?limit=5\(suffix)", method: .get, headers: bearer(h.boot.secretKey))
                #expect(page.status == .ok)
                #expect(page.json["total_hits"] == 23)
                seen += page.json["events"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } ?? []
                key = page.json["pagination_key"]?.stringValue
                pages += 1
                h.clock.advance(ms: 1000)  // the default window moves; the key keeps the first page's
            } while key != nil && pages < 10
            #expect(pages == 5)
            #expect(seen == ids.reversed())  // newest first, each once
            let oldest = try await client.execute(uri: "/v4/events?limit=3&reverse=true", method: .get, headers: bearer(h.boot.secretKey))
            #expect(oldest.json["events"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } == Array(ids.prefix(3)))
            let linked = try await client.execute(uri: "/v4/events?linked_id=u1&limit=100", method: .get, headers: bearer(h.boot.secretKey))
            #expect(linked.json["events"]?.arrayValue?.count == 11)
            let bad = try await client.execute(uri: "/v4/events?bot=bad", method: .get, headers: bearer(h.boot.secretKey))
            #expect(bad.json["events"]?.arrayValue?.isEmpty == true)  // ordinary browsers only
            // Outside the default window of 7 days.
            h.clock.advance(ms: 8 * 24 * 3600 * 1000)
            let old = try await client.execute(uri: "/v4/events", method: .get, headers: bearer(h.boot.secretKey))
            #expect(old.json["events"]?.arrayValue?.isEmpty == true)
            #expect(old.json["total_hits"] == 0)
        }
    }

    /// The smart-signal filters read the stored event: `incognito=true` finds the private visit,
    /// `incognito=false` the others, `bot=bad` the automated one; combined filters all hold, and
    /// a pagination key stays bound to its filters.
    @Test func signalFiltersSelectEventsByTheirStoredSignals() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let normal = try #require(try await identify(client, h)["requestId"]?.stringValue)
            let normal2 = try #require(try await identify(client, h, components: Harness.otherComponents)["requestId"]?.stringValue)
            let privateWindow = Harness.desktopComponents.replacingOccurrences(of: "296630877388", with: "858993459")
            let incognito = try #require(try await identify(client, h, components: privateWindow)["requestId"]?.stringValue)
            let automated = Harness.otherComponents.replacingOccurrences(of: #""webdriver":false"#, with: #""webdriver":true"#)
            let bot = try #require(try await identify(client, h, components: automated)["requestId"]?.stringValue)

            func ids(_ query: String) async throws -> [String] {
                let r = try await client.execute(uri: "/v4/events?limit=100&\(query)", method: .get, headers: bearer(h.boot.secretKey))
                #expect(r.status == .ok, "\(query)")
                let events = r.json["events"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } ?? []
                #expect(r.json["total_hits"]?.intValue == Int64(events.count), "\(query)")
                return events
            }
            #expect(try await ids("incognito=true") == [incognito])
            #expect(Set(try await ids("incognito=false")) == [normal, normal2, bot])
            #expect(try await ids("bot=bad") == [bot])
            #expect(Set(try await ids("bot=none")) == [normal, normal2, incognito])
            #expect(try await ids("bot=all") == [bot])
            #expect(try await ids("bot=good").isEmpty)
            #expect(try await ids("bot=bad&incognito=true").isEmpty)
            #expect(try await ids("incognito=FALSE&bot=none&tampering=false") == [normal2, normal])
            #expect(try await ids("min_suspect_score=5") == [bot])  // a bad bot weighs 10, incognito 2
            #expect(Set(try await ids("min_suspect_score=2")) == [bot, incognito])
            #expect(Set(try await ids("min_suspect_score=0")) == [normal, normal2, incognito, bot])
            #expect(try await ids("min_suspect_score=2.5&incognito=true").isEmpty)
            #expect(try await ids("vpn=true").isEmpty)  // no IP data configured: no vpn field, no match either way
            #expect(try await ids("vpn=false").isEmpty)

            let page = try await client.execute(uri: "/v4/events?limit=1&incognito=false", method: .get, headers: bearer(h.boot.secretKey))
            let key = try #require(page.json["pagination_key"]?.stringValue)
            let same = try await client.execute(
                uri: "/v4/events?limit=1&incognito=false&pagination_key=\(key)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(same.status == .ok)
            let other = try await client.execute(
                uri: "/v4/events?limit=1&incognito=true&pagination_key=\(key)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(other.status == .badRequest)
            let bare = try await client.execute(uri: "/v4/events?limit=1&pagination_key=\(key)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(bare.status == .badRequest)
        }
    }

    @Test(arguments: [
        ("incognito=yes", "invalid incognito param"), ("virtual_machine=1", "invalid virtual_machine param"),
        ("min_suspect_score=high", "invalid min_suspect_score param"), ("min_suspect_score=-1", "invalid min_suspect_score param"),
        ("limit=0", "invalid limit"), ("limit=101", "invalid limit"), ("limit=x", "invalid limit"),
        ("start=yesterday", "invalid start time"), ("end=-5", "invalid end time"), ("reverse=maybe", "invalid reverse param"),
        ("bot=evil", "invalid bot type"), ("ip_address=1.2.3", "invalid ip address"), ("visitor_id=a%27b", "invalid visitor id"),
        ("pagination_key=abc.def", "invalid pagination key"),
    ])
    func invalidParametersGetTheVectorErrors(query: String, message: String) async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v4/events?\(query)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(r.status == .badRequest)
            #expect(r.json == ["error": ["code": "request_cannot_be_parsed", "message": .string(message)]])
        }
    }

    @Test func aPaginationKeyCannotBeForgedOrReusedForAnotherQuery() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            for _ in 0..<4 { _ = try await identify(client, h, linkedID: "x") }
            let page = try await client.execute(uri: "/v4/events?limit=2", method: .get, headers: bearer(h.boot.secretKey))
            let key = try #require(page.json["pagination_key"]?.stringValue)
            let other = try await client.execute(
                uri: "/v4/events?limit=2&linked_id=x&pagination_key=\(key)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(other.status == .badRequest)
            var tampered = Array(key.utf8)
            tampered[3] = tampered[3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let forged = try await client.execute(
                uri: "/v4/events?limit=2&pagination_key=\(String(decoding: tampered, as: UTF8.self))", method: .get,
                headers: bearer(h.boot.secretKey))
            #expect(forged.status == .badRequest)
        }
    }

    @Test func updateShowsInReadsAndSearches() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let reader = try await Provisioning(runtime: h.runtime).createKey(environment: h.boot.environment, kind: .secret, scopes: [.readEvents])
        try await h.app.test(.router) { client in
            let id = try #require(try await identify(client, h)["requestId"]?.stringValue)
            let body = ByteBuffer(string: #"{"linked_id":"order-7","tags":{"checkout":true},"suspect":true}"#)
            let denied = try await client.execute(uri: "/v4/events/\(id)", method: .patch, headers: bearer(reader.key), body: body)
            #expect(denied.status == .forbidden)
            let ok = try await client.execute(uri: "/v4/events/\(id)", method: .patch, headers: bearer(h.boot.secretKey), body: body)
            #expect(ok.status == .ok)
            let e = try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer(h.boot.secretKey)).json
            #expect(e["linked_id"] == "order-7")
            #expect(e["tags"] == ["checkout": true])
            #expect(e["suspect"] == true)
            let found = try await client.execute(uri: "/v4/events?linked_id=order-7&suspect=true", method: .get, headers: bearer(h.boot.secretKey))
            #expect(found.json["events"]?.arrayValue?.first?["event_id"] == .string(id))
            for bad in [#"{}"#, #"[1]"#, #"{"suspect":"yes"}"#, #"{"unknown":1}"#, "nope"] {
                let r = try await client.execute(
                    uri: "/v4/events/\(id)", method: .patch, headers: bearer(h.boot.secretKey), body: ByteBuffer(string: bad))
                #expect(r.status == .badRequest)
            }
            let long = try await client.execute(
                uri: "/v4/events/\(id)", method: .patch, headers: bearer(h.boot.secretKey),
                body: ByteBuffer(string: #"{"linked_id":"\#(String(repeating: "x", count: 257))"}"#))
            #expect(long.json["error"]?["message"] == "linked_id can't be greater than 256 characters long")
            let missing = try await client.execute(
                uri: "/v4/events/1708102555327.NLOjmg", method: .patch, headers: bearer(h.boot.secretKey), body: body)
            #expect(missing.status == .notFound)
        }
    }

    @Test func deletingAVisitorErasesItsEventsAndItComesBackAsNew() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let first = try await identify(client, h)
            let visitor = try #require(first["visitorId"]?.stringValue)
            let token = try #require(first["token"]?.stringValue)
            _ = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(token: token))
            let other = try await identify(client, h, components: Harness.otherComponents)
            let deleted = try await client.execute(uri: "/v4/visitors/\(visitor)", method: .delete, headers: bearer(h.boot.secretKey))
            #expect(deleted.status == .ok)
            let again = try await client.execute(uri: "/v4/visitors/\(visitor)", method: .delete, headers: bearer(h.boot.secretKey))
            #expect(again.status == .notFound)
            #expect(again.errorCode == "visitor_not_found")
            let gone = try await client.execute(uri: "/v4/events/\(first["requestId"]!.stringValue!)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(gone.status == .notFound)
            let left = try await client.execute(uri: "/v4/events?limit=100", method: .get, headers: bearer(h.boot.secretKey))
            #expect(left.json["events"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } == [other["requestId"]!.stringValue!])
            // Same browser, with its old token: a new visitor.
            let back = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(token: token)).json
            #expect(back["visitorId"]?.stringValue != visitor)
            #expect(back["visitorFound"] == false)
        }
    }
}
