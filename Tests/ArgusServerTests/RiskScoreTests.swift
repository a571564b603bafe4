import ArgusCore
import ArgusSQLite
import ArgusStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

@Suite struct RiskScoreTests {
    func score(_ client: some TestClientProtocol, _ key: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/risk/bin/score", method: .post, headers: xAPIKey(key), body: ByteBuffer(string: body))
    }

    @Test func validation() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let risk = try await h.secretKey([.risk])
        let ingestOnly = try await h.secretKey([.ingest])
        try await h.app.test(.router) { client in
            let noKey = try await client.execute(uri: "/risk/bin/score", method: .post, body: ByteBuffer(string: #"{"bin":"341142"}"#))
            #expect(noKey.status == .unauthorized)
            #expect(try await score(client, "sk_bogus", #"{"bin":"341142"}"#).status == .unauthorized)
            let scope = try await score(client, ingestOnly, #"{"bin":"341142"}"#)
            #expect(scope.status == .forbidden)
            #expect(scope.json["error"]?["message"] == "the secret API key lacks the scope risk")

            let cases: [(String, String, String)] = [
                ("{", "invalid_json", ""), ("[]", "invalid_json", "the body must be a JSON object"),
                ("{}", "missing_field", "bin is required"), (#"{"bin":341142}"#, "invalid_field", "bin must be a string"),
                (#"{"bin":"34114"}"#, "invalid_bin", "bin must be 6 to 8 digits"),
                (#"{"bin":"341142999"}"#, "invalid_bin", "bin must be 6 to 8 digits"),
                (#"{"bin":"34114x"}"#, "invalid_bin", "bin must be 6 to 8 digits"),
                (#"{"bin":"4111 1111"}"#, "invalid_bin", "bin must be 6 to 8 digits"),
                (#"{"bin":"341142","request_id":5}"#, "invalid_field", "request_id must be a string"),
                (#"{"bin":"341142","session_id":true}"#, "invalid_field", "session_id must be a string"),
                (#"{"bin":"341142","user_id":[]}"#, "invalid_field", "user_id must be a string"),
                (#"{"bin":"341142","amount":"12"}"#, "invalid_field", "amount must be a number"),
                (#"{"bin":"341142","amount":-1}"#, "invalid_field", "amount must be a number of at least 0"),
                (#"{"bin":"341142","currency":"EURO"}"#, "invalid_field", "currency must be a string of 1 to 3 characters"),
                (#"{"bin":"341142","currency":"E1R"}"#, "invalid_field", "currency must be an ISO 4217 code of 3 letters"),
                (#"{"bin":"341142","billing_country":"USA"}"#, "invalid_field", "billing_country must be a string of 1 to 2 characters"),
                (#"{"bin":"341142","billing_country":"U"}"#, "invalid_field", "billing_country must be an ISO 3166 alpha-2 code"),
            ]
            for (body, code, message) in cases {
                let r = try await score(client, risk, body)
                #expect(r.status == .badRequest, "\(body)")
                #expect(r.errorCode == code, "\(body)")
                if !message.isEmpty { #expect(r.json["error"]?["message"] == .string(message), "\(body)") }
            }
        }
    }

    @Test func withoutAPrefetchTheScoreStillComes() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let risk = try await h.secretKey([.risk])
        try await h.app.test(.router) { client in
            let r = try await score(client, risk, #"{"bin":"34114299","amount":49.9,"currency":"usd","billing_country":"US"}"#)
            #expect(r.status == .ok)
            #expect(r.json["bin"] == "34114299")
            #expect(r.json["score"] == 0)
            #expect(r.json["level"] == "minimal")
            #expect(r.json["reasons"] == [])
            #expect(r.json["bin_record"]?["iin_start"] == "341142")
            #expect(r.json["bin_record"]?["scheme"] == "amex")
            #expect(r.json["bin_record"]?["country"] == "US")
            #expect(r.json["correlation"]?["event_found"] == false)
            #expect(r.json["correlation"]?["request_id"] == .null)
            #expect(r.json["velocity"] == ["device": nil, "user": nil])
            #expect(r.json["currency"] == "USD")

            // A request id nobody ingested: weaker correlation, not an error.
            let unknown = try await score(client, risk, #"{"bin":"453748","request_id":"nope","billing_country":"GB"}"#)
            #expect(unknown.status == .ok)
            #expect(unknown.json["reasons"] == ["prepaid_card", "billing_country_mismatch"])
            #expect(unknown.json["score"] == 35)
            #expect(unknown.json["level"] == "low")
            #expect(unknown.json["reason_details"]?.arrayValue?.first?["points"] == 20)

            let missing = try await score(client, risk, #"{"bin":"999999"}"#)
            #expect(missing.json["reasons"] == ["unknown_bin"])
            #expect(missing.json["bin_record"] == .null)
        }
    }

    @Test func correlatesWithThePrefetchedEvent() async throws {
        var config = ArgusConfig()
        config.prefetchTTLSeconds = 3 * 3600
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let key = try await h.secretKey([.ingest, .risk])
        try await h.app.test(.router) { client in
            let (eventID, visitorID) = try await h.identify(client)
            _ = try await client.execute(
                uri: "/fingerprint/ingest", method: .post, headers: xAPIKey(key), body: h.ingestBody(eventID, session: "SESS-9", user: "u-9"))
            await h.runtime.prefetch.runDue()

            // A US card; the browser said Europe/Berlin (the raw time zone the agent sent: today's events carry no vpn_origin_timezone).
            let r = try await score(client, key, #"{"bin":"341142","request_id":"\#(eventID)"}"#)
            #expect(r.status == .ok)
            #expect(r.json["correlation"]?["event_found"] == true)
            #expect(r.json["correlation"]?["request_id"] == .string(eventID))
            #expect(r.json["correlation"]?["prefetch_status"] == "done")
            #expect(r.json["correlation"]?["visitor_id"] == .string(visitorID))
            #expect(r.json["correlation"]?["user_id"] == "u-9")
            #expect(r.json["correlation"]?["browser_timezone"] == "Europe/Berlin")
            #expect(r.json["correlation"]?["timezone_country"] == "DE")
            #expect(r.json["reasons"] == ["bin_country_timezone_mismatch"])
            #expect(r.json["score"] == 15)
            #expect(r.json["velocity"]?["device"] == ["distinct_bins_1h": 1, "distinct_bins_24h": 1])

            // A German card fits; found by the session id alone.
            let de = try await score(client, key, #"{"bin":"375001","session_id":"SESS-9"}"#)
            #expect(de.json["correlation"]?["request_id"] == .string(eventID))
            #expect(de.json["reasons"] == [])
            #expect(de.json["velocity"]?["device"] == ["distinct_bins_1h": 2, "distinct_bins_24h": 2])

            // A third card on the same device within the hour: card testing. Found by the user id alone.
            let third = try await score(client, key, #"{"bin":"45717360","user_id":"u-9"}"#)
            #expect(third.json["correlation"]?["visitor_id"] == .string(visitorID))
            #expect(third.json["reasons"]?.arrayValue?.contains("many_cards_per_device") == true)
            #expect(third.json["reasons"]?.arrayValue?.contains("many_cards_per_user") == true)
            #expect(third.json["velocity"]?["user"] == ["distinct_bins_1h": 3, "distinct_bins_24h": 3])

            // Two hours later: the hour's count is back to 1, the day's holds the three.
            h.clock.advance(ms: 2 * 3_600_000)
            let later = try await score(client, key, #"{"bin":"375001","request_id":"\#(eventID)"}"#)
            #expect(later.json["velocity"]?["device"] == ["distinct_bins_1h": 1, "distinct_bins_24h": 3])
            #expect(later.json["reasons"]?.arrayValue?.contains("many_cards_per_device") == false)

            // Past the TTL (3 h here) the prefetch is gone: a score still comes, uncorrelated.
            h.clock.advance(ms: 3_600_000)
            let expired = try await score(client, key, #"{"bin":"341142","request_id":"\#(eventID)"}"#)
            #expect(expired.status == .ok)
            #expect(expired.json["correlation"]?["event_found"] == false)
            #expect(expired.json["reasons"] == [])
        }
    }

    @Test func velocityIsPersistedInTheStore() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let store = h.runtime.store
        let t: Int64 = 1_000_000_000
        #expect(try await store.observeBIN("411111", subjects: ["user:a", "device:d"], at: t, since: [t - 10, t - 100]) == [[1, 1], [1, 1]])
        #expect(try await store.observeBIN("411111", subjects: ["user:a"], at: t + 5, since: [t - 5, t - 95]) == [[1, 1]])
        #expect(try await store.observeBIN("422222", subjects: ["user:a"], at: t + 50, since: [t + 40, t - 50]) == [[1, 2]])
        #expect(try await store.observeBIN("433333", subjects: ["user:b"], at: t + 50, since: [t, t]) == [[1, 1]])
        // A second store on the same database (another instance, or after a restart) sees the same counts.
        let again = try await h.secondStore()
        #expect(try await again.observeBIN("444444", subjects: ["user:a"], at: t + 60, since: [t, t]) == [[3, 3]])
        await again.close()
    }

    @Test func anotherBINTableThroughTheConfiguration() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("argus-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.csv")
        try Data("iin_start,iin_end,scheme,type,prepaid,country,bank_name\n411111,411119,visa,debit,Y,NL,\"Bank, Test\"\n".utf8).write(to: good)
        var config = ArgusConfig()
        config.binTablePath = good.path
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let risk = try await h.secretKey([.risk])
        try await h.app.test(.router) { client in
            let r = try await score(client, risk, #"{"bin":"41111512"}"#)
            #expect(r.json["bin_record"]?["iin_end"] == "411119")
            #expect(r.json["bin_record"]?["bank"]?["name"] == "Bank, Test")
            #expect(r.json["reasons"] == ["prepaid_card"])
            // The bundled table is not used.
            #expect(try await score(client, risk, #"{"bin":"341142"}"#).json["reasons"] == ["unknown_bin"])
        }
        // A bad table stops the start, naming the line.
        let bad = dir.appendingPathComponent("bad.csv")
        try Data("iin_start,country\n411111,NL\n4111x1,NL\n".utf8).write(to: bad)
        config.binTablePath = bad.path
        do {
            _ = try await Harness.make(config: config)
            Issue.record("started with a bad BIN table")
        } catch {
            #expect("\(error)".contains("line 3"))
        }
    }
}
