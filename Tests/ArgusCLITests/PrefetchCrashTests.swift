import ArgusCore
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The prefetch task is durable: `kill -9` between the 202 and the prefetch loses nothing.
@Suite(.serialized) struct PrefetchCrashTests {

    static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("argus-cli-\(UUID().uuidString)").path
    }

    @Test func killBetweenThe202AndThePrefetchThenRestart() async throws {
        let upstreamDir = Self.tempDir()
        let localDir = Self.tempDir()
        defer {
            try? FileManager.default.removeItem(atPath: upstreamDir)
            try? FileManager.default.removeItem(atPath: localDir)
        }
        // The upstream Argus, holding the event.
        let upBoot = try JSONParser.parse(try BinaryTests.run(["bootstrap", "--json", "--data-dir", upstreamDir]).1)
        let upstream = try BinaryTests.Server(dataDir: upstreamDir)
        defer { _ = upstream.signal(SIGTERM) }
        let body = #"{"v":1,"publicKey":"\#(upBoot["publicKey"]?.stringValue ?? "")","token":null,"components":{"userAgent":"Mozilla/5.0","timezone":"Europe/Berlin"}}"#
        let (identifyStatus, identified) = try await upstream.request(
            "POST", "/v1/identify", headers: ["Content-Type": "text/plain;charset=UTF-8"], body: body)
        #expect(identifyStatus == 200)
        let eventID = try #require(identified["requestId"]?.stringValue)
        let upstreamKey = try #require(upBoot["secretKey"]?.stringValue)

        // The local Argus, its upstream unreachable at first.
        let boot = try JSONParser.parse(try BinaryTests.run(["bootstrap", "--json", "--data-dir", localDir]).1)
        let key = try #require(boot["secretKey"]?.stringValue)
        var local = try BinaryTests.Server(
            dataDir: localDir, environment: ["ARGUS_UPSTREAM_URL": "http://127.0.0.1:1/v4", "ARGUS_UPSTREAM_KEY": upstreamKey])
        let ingest = #"{"request_id":"\#(eventID)","subscriber_id":12,"session_id":"S","user_id":"u"}"#
        let (status, accepted) = try await local.request(
            "POST", "/fingerprint/ingest", headers: ["X-API-Key": key, "Content-Type": "application/json"], body: ingest)
        #expect(status == 202)
        #expect(accepted["redis_keys"] == [.string("fp:prefetch:\(eventID)")])
        // kill -9 right after the 202.
        #expect(local.signal(SIGKILL) != 0)

        // Restart with a reachable upstream: the acknowledged task completes.
        local = try BinaryTests.Server(
            dataDir: localDir,
            environment: ["ARGUS_UPSTREAM_URL": "http://127.0.0.1:\(upstream.port)/v4", "ARGUS_UPSTREAM_KEY": upstreamKey])
        var last: JSON = .null
        let deadline = Date().addingTimeInterval(40)
        while Date() < deadline {
            last = try await local.request("GET", "/fingerprint/prefetch/\(eventID)", headers: ["X-API-Key": key]).1
            if last["status"] != "pending" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(last["status"] == "done", "\(last)")
        #expect(last["source"] == "upstream")
        #expect(last["cached"] == true)
        // The score sees the event (a US card, a browser in Europe/Berlin).
        let (scoreStatus, score) = try await local.request(
            "POST", "/risk/bin/score", headers: ["X-API-Key": key, "Content-Type": "application/json"],
            body: #"{"bin":"341142","request_id":"\#(eventID)"}"#)
        #expect(scoreStatus == 200)
        #expect(score["correlation"]?["event_found"] == true)
        #expect(score["correlation"]?["visitor_id"] == identified["visitorId"])
        #expect(local.signal(SIGTERM) == 0)
    }
}
