import ArgusCore
import ArgusSDK
import ArgusSQLite
import ArgusStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import NIOSSL
import HummingbirdTesting
import Synchronization
import Testing

@testable import ArgusServer

/// A sender that answers from a script (and records what it was asked).
final class ScriptedSender: WebhookSender {
    let answers: Mutex<[WebhookResponse]>
    let fallback: WebhookResponse
    let sent = Mutex<[WebhookRequest]>([])

    init(_ answers: [WebhookResponse] = [], fallback: WebhookResponse) {
        self.answers = Mutex(answers)
        self.fallback = fallback
    }

    func send(_ request: WebhookRequest) async -> WebhookResponse {
        sent.withLock { $0.append(request) }
        return answers.withLock { $0.isEmpty ? fallback : $0.removeFirst() }
    }

    func shutdown() async {}

    static let ok = WebhookResponse(statusCode: 200, error: nil)
    static let serverError = WebhookResponse(statusCode: 500, error: "HTTP 500")
}

/// A local HTTP receiver: records every request, answers from a script of statuses (then 200).
final class Receiver: Sendable {
    struct Received: Sendable {
        let headers: HTTPFields
        let body: [UInt8]
        /// The Host the request named.
        var authority: String? = nil
    }

    let received = Mutex<[Received]>([])
    let script: Mutex<[Int]>

    init(script: [Int] = []) { self.script = Mutex(script) }

    var app: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// The same receiver behind TLS.
    func tlsApp(_ tls: TLSConfiguration) throws -> some ApplicationProtocol {
        Application(router: router, server: try .tls(tlsConfiguration: tls), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            self.received.withLock {
                $0.append(Received(headers: request.headers, body: Array(body.readableBytesView), authority: request.head.authority))
            }
            let status = self.script.withLock { $0.isEmpty ? 200 : $0.removeFirst() }
            var headers = HTTPFields()
            if (300..<400).contains(status) { headers[.location] = "http://169.254.169.254/latest/meta-data/" }
            return Response(status: .init(code: status), headers: headers)
        }
        return router
    }
}

@Suite struct WebhookTests {
    func endpoint(_ h: Harness, url: String = "http://127.0.0.1:9/hook", filter: WebhookFilter = WebhookFilter(), enabled: Bool = true)
        async throws -> Webhooks.Created
    {
        try await Webhooks(runtime: h.runtime).create(environment: h.boot.environment, url: url, filter: filter, enabled: enabled)
    }

    func storeEvent(_ h: Harness, document: String, id: String? = nil) async throws -> String {
        let now = h.clock.now.withLock { $0 }
        let eventID = id ?? Identifiers.eventID(timestampMs: now)
        try await h.runtime.store.recordEvent(
            StoredEvent(
                id: eventID, environmentID: h.boot.environment.id, visitorID: "v" + Identifiers.randomBase62(19), timestamp: now,
                linkedID: nil, ipAddress: "203.0.113.9", document: Array(document.utf8), components: Array("{}".utf8)),
            visitor: VisitorRecord(
                environmentID: h.boot.environment.id, id: "v" + Identifiers.randomBase62(19), firstSeenAt: now, lastSeenAt: now,
                eventCount: 1))
        return eventID
    }

    func deliveries(_ h: Harness, _ endpointID: String) async throws -> [WebhookDeliveryRecord] {
        try await h.runtime.store.webhookDeliveries(endpointID: endpointID, status: nil, limit: 1000, before: nil)
    }

    @Test func outboxRowsCommitWithTheEventAndFollowFilters() async throws {
        let h = try await Harness.make(config: { var c = ArgusConfig(); c.webhookAllowPrivate = true; return c }())
        defer { h.remove() }
        let all = try await endpoint(h)
        let bots = try await endpoint(h, filter: WebhookFilter(bot: ["bad"]))
        let suspects = try await endpoint(h, filter: WebhookFilter(minSuspectScore: 5))
        let off = try await endpoint(h, enabled: false)
        let badEvent = try await storeEvent(h, document: #"{"event_id":"x","bot":"bad","suspect_score":7}"#)
        _ = try await storeEvent(h, document: #"{"event_id":"y"}"#)
        _ = try await storeEvent(h, document: #"{"event_id":"z","bot":"good","suspect_score":4}"#)
        #expect(try await deliveries(h, all.record.id).count == 3)
        #expect(try await deliveries(h, bots.record.id).map(\.eventID) == [badEvent])
        #expect(try await deliveries(h, suspects.record.id).map(\.eventID) == [badEvent])
        #expect(try await deliveries(h, off.record.id).isEmpty)
        let d = try #require(try await deliveries(h, all.record.id).first)
        #expect(d.status == .pending)
        #expect(d.attempts == 0)

        // Through /v1/identify too: the answer comes after the event and its outbox row are committed.
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            #expect(r.status == .ok)
            let id = try #require(r.json["requestId"]?.stringValue)
            #expect(try await deliveries(h, all.record.id).contains { $0.eventID == id })
        }

        // Erasing the visitor drops its undelivered deliveries.
        let store = h.runtime.store
        let before = try await deliveries(h, all.record.id).count
        let event = try #require(try await store.event(id: badEvent, environmentID: nil))
        _ = try await store.deleteVisitors(ids: [event.visitorID], environmentID: h.boot.environment.id)
        #expect(try await deliveries(h, all.record.id).count == before - 1)
    }

    @Test func backoffScheduleAndGiveUpAfterTheHorizonWithAnInjectedClock() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let w = try await endpoint(h, url: "https://hooks.example/receive")
        let eventID = try await storeEvent(h, document: #"{"event_id":"e"}"#)
        let sender = ScriptedSender(fallback: ScriptedSender.serverError)
        let dispatcher = WebhookDispatcher(runtime: h.runtime, sender: sender, random: { 0.999 })
        let queuedAt = h.clock.now.withLock { $0 }

        var gaps: [Int64] = []
        while true {
            #expect(await dispatcher.runOnce() == 1)
            let d = try #require(try await deliveries(h, w.record.id).first)
            if d.status == .failed { break }
            #expect(d.status == .pending)
            let now = h.clock.now.withLock { $0 }
            // Not due yet: nothing to claim.
            #expect(await dispatcher.runOnce() == 0)
            gaps.append(d.nextAttemptAt - now)
            h.clock.advance(ms: d.nextAttemptAt - now)
            if gaps.count > 500 { break }
        }
        let elapsed = h.clock.now.withLock { $0 } - queuedAt
        #expect(gaps.first! <= 2_000 && gaps.first! >= 1_000)
        #expect(gaps.max()! <= 900_000)
        #expect(gaps.max()! >= 850_000)
        for (a, b) in zip(gaps, gaps.dropFirst()) where b < 850_000 {
            #expect(b >= a * 2 - 2 && b <= a * 2 + 2, "gaps double: \(a) then \(b)")
        }
        #expect(elapsed >= 24 * 3_600_000)
        #expect(elapsed < 24 * 3_600_000 + 900_000)
        let attempts = try await h.runtime.store.webhookAttempts(deliveryID: try #require(try await deliveries(h, w.record.id).first).id)
        #expect(attempts.count == gaps.count + 1)
        #expect(attempts.count == sender.sent.withLock { $0.count })
        #expect(attempts.allSatisfy { $0.statusCode == 500 })
        #expect(attempts.map(\.number) == Array(1...attempts.count))
        #expect(sender.sent.withLock { $0.allSatisfy { String(decoding: $0.body, as: UTF8.self) == #"{"event_id":"e"}"# } })

        // Redelivery of the failed one through the admin API, then success.
        try await h.app.test(.router) { client in
            let r = try await client.execute(
                uri: "/admin/v1/environments/default/webhooks/\(w.record.id)/redeliver", method: .post, headers: bearer(h.boot.secretKey))
            #expect(r.status == .ok)
            #expect(r.json["redelivered"] == 1)
        }
        let ok = WebhookDispatcher(runtime: h.runtime, sender: ScriptedSender(fallback: ScriptedSender.ok))
        #expect(await ok.runOnce() == 1)
        let done = try #require(try await deliveries(h, w.record.id).first)
        #expect(done.status == .delivered)
        #expect(done.eventID == eventID)
    }

    @Test func aDeadInstancesLeaseIsTakenOverAndItsLateCompletionIgnored() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let w = try await endpoint(h, url: "https://hooks.example/receive")
        _ = try await storeEvent(h, document: #"{"event_id":"e"}"#)
        // Two stores on one database: two instances.
        let a = h.runtime.store
        let b = try await h.secondStore()
        let t0 = h.clock.now.withLock { $0 }
        let claimedByA = try await a.claimWebhookDeliveries(nowMs: t0, leaseMs: 30_000, limit: 10)
        #expect(claimedByA.count == 1)
        #expect(try await b.claimWebhookDeliveries(nowMs: t0 + 10_000, leaseMs: 30_000, limit: 10).isEmpty)
        // A "dies"; its lease runs out and B claims the delivery within 60 s.
        let claimedByB = try await b.claimWebhookDeliveries(nowMs: t0 + 30_001, leaseMs: 30_000, limit: 10)
        #expect(claimedByB.map(\.delivery.id) == claimedByA.map(\.delivery.id))
        let attempt = { (n: Int) in
            WebhookAttemptRecord(
                deliveryID: claimedByA[0].delivery.id, number: n, startedAt: t0, latencyMs: 3, statusCode: 200, error: nil)
        }
        // A comes back late: its completion does not count; B's does.
        #expect(
            try await a.completeWebhookDelivery(
                WebhookCompletion(deliveryID: claimedByA[0].delivery.id, leaseToken: claimedByA[0].leaseToken, attempt: attempt(1), outcome: .retry(atMs: t0)))
                == false)
        #expect(
            try await b.completeWebhookDelivery(
                WebhookCompletion(deliveryID: claimedByB[0].delivery.id, leaseToken: claimedByB[0].leaseToken, attempt: attempt(1), outcome: .delivered)))
        let d = try #require(try await deliveries(h, w.record.id).first)
        #expect(d.status == .delivered)
        #expect(try await a.webhookAttempts(deliveryID: d.id).count == 2)
        #expect(try await a.claimWebhookDeliveries(nowMs: t0 + 120_000, leaseMs: 30_000, limit: 10).isEmpty)
        await b.close()
    }

    @Test func concurrentClaimersFromTwoInstancesNeverShareADelivery() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        _ = try await endpoint(h, url: "https://hooks.example/receive")
        for i in 0..<200 { _ = try await storeEvent(h, document: #"{"event_id":"\#(i)"}"#) }
        let stores: [any ArgusStore] = [h.runtime.store, try await h.secondStore()]
        let now = h.clock.now.withLock { $0 }
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for i in 0..<6 {
                let store = stores[i % 2]
                group.addTask {
                    var mine: [String] = []
                    while true {
                        let batch = try await store.claimWebhookDeliveries(nowMs: now, leaseMs: 30_000, limit: 7)
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.delivery.id)
                    }
                }
            }
            var all: [String] = []
            for try await part in group { all += part }
            return all
        }
        #expect(ids.count == 200)
        #expect(Set(ids).count == 200)
        await stores[1].close()
    }

    @Test func badAdminInputGetsClearErrorsAndChangesNothing() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let limited = try await Provisioning(runtime: h.runtime).createKey(
            environment: h.boot.environment, kind: .secret, scopes: [.readEvents])
        try await h.app.test(.router) { client in
            let base = "/admin/v1/environments/default/webhooks"
            func post(_ body: String, uri: String = base, key: String = h.boot.secretKey) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .post, headers: bearer(key), body: ByteBuffer(string: body))
            }
            let cases: [(String, String)] = [
                ("not json", "body must be a JSON object"),
                ("[]", "body must be a JSON object"),
                (#"{}"#, "url"),
                (#"{"url": 5}"#, "url"),
                (#"{"url": "ftp://x.example/"}"#, "http"),
                (#"{"url": "/relative"}"#, "http"),
                (#"{"url": "http://user:pw@x.example/"}"#, "credentials"),
                (#"{"url": "http://127.0.0.1:8080/hook"}"#, "ARGUS_WEBHOOK_ALLOW_PRIVATE"),
                (#"{"url": "http://169.254.169.254/latest"}"#, "link-local"),
                (#"{"url": "http://[::1]/hook"}"#, "loopback"),
                (#"{"url": "http://[::ffff:10.0.0.1]/hook"}"#, "private"),
                (#"{"url": "http://localhost:9/hook"}"#, "localhost"),
                (#"{"url": "https://x.example/", "filter": {"bot": "bad"}}"#, "filter.bot"),
                (#"{"url": "https://x.example/", "filter": {"minSuspectScore": "high"}}"#, "minSuspectScore"),
                (#"{"url": "https://x.example/", "enabled": "yes"}"#, "enabled"),
                (#"{"url": "https://x.example/", "basicAuth": {"username": "a"}}"#, "basicAuth"),
                (#"{"url": "https://x.example/", "secret": "mine"}"#, "unknown field 'secret'"),
            ]
            for (body, hint) in cases {
                let r = try await post(body)
                #expect(r.status == .badRequest, "\(body)")
                #expect(r.errorCode == "request_cannot_be_parsed", "\(body)")
                #expect(r.json["error"]?["message"]?.stringValue?.contains(hint) == true, "\(body): \(r.json)")
            }
            #expect(try await post(#"{"url": "https://x.example/"}"#, key: limited.key).status == .forbidden)
            #expect(
                try await post(#"{"url": "https://x.example/"}"#, uri: "/admin/v1/environments/nope/webhooks").errorCode
                    == "environment_not_found")
            #expect(try await h.runtime.store.webhooks(environmentID: h.boot.environment.id).isEmpty)

            // A good one, then bad changes and unknown ids.
            let created = try await post(#"{"url": "https://x.example/hook", "filter": {"bot": ["bad"]}}"#)
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(created.json["secret"]?.stringValue?.hasPrefix("whsec_") == true)
            #expect(created.json["filter"] == ["bot": ["bad"]])
            let before = try await h.runtime.store.webhook(id: id)
            for body in [#"{"enabled": 1}"#, #"{"url": "http://10.0.0.2/"}"#, #"{"filter": {"x": 1}}"#, #"{"nope": true}"#] {
                let r = try await client.execute(uri: "\(base)/\(id)", method: .patch, headers: bearer(h.boot.secretKey), body: ByteBuffer(string: body))
                #expect(r.status == .badRequest, "\(body)")
            }
            #expect(try await h.runtime.store.webhook(id: id) == before)
            for (method, uri) in [
                (HTTPRequest.Method.get, "\(base)/wh_missing"), (.delete, "\(base)/wh_missing"), (.get, "\(base)/wh_missing/deliveries"),
                (.post, "\(base)/wh_missing/redeliver"), (.get, "\(base)/\(id)/deliveries/whd_missing"),
                (.post, "\(base)/\(id)/deliveries/whd_missing/redeliver"),
            ] {
                let r = try await client.execute(uri: uri, method: method, headers: bearer(h.boot.secretKey))
                #expect(r.status == .notFound, "\(method) \(uri)")
                #expect(r.errorCode?.hasSuffix("not_found") == true)
            }
            let badQuery = try await client.execute(uri: "\(base)/\(id)/deliveries?status=lost", method: .get, headers: bearer(h.boot.secretKey))
            #expect(badQuery.status == .badRequest)
            let badLimit = try await client.execute(uri: "\(base)/\(id)/deliveries?limit=0", method: .get, headers: bearer(h.boot.secretKey))
            #expect(badLimit.status == .badRequest)
            // A webhook of another environment is not found from this one.
            let other = try await Provisioning(runtime: h.runtime).createEnvironment(name: "other")
            let foreign = try await Webhooks(runtime: h.runtime).create(environment: other, url: "https://y.example/")
            #expect(try await client.execute(uri: "\(base)/\(foreign.record.id)", method: .delete, headers: bearer(h.boot.secretKey)).status == .notFound)
            #expect(try await h.runtime.store.webhook(id: foreign.record.id) != nil)
            #expect(try await h.runtime.store.webhooks(environmentID: h.boot.environment.id).count == 1)

            // Good changes and deletion.
            let patched = try await client.execute(
                uri: "\(base)/\(id)", method: .patch, headers: bearer(h.boot.secretKey), body: ByteBuffer(string: #"{"enabled": false}"#))
            #expect(patched.json["enabled"] == false)
            let deleted = try await client.execute(uri: "\(base)/\(id)", method: .delete, headers: bearer(h.boot.secretKey))
            #expect(deleted.status == .ok)
            #expect(try await h.runtime.store.webhooks(environmentID: h.boot.environment.id).isEmpty)
        }
    }

    @Test func aRealReceiverGetsTheSignedEventBytesAndFailuresAreRetriedAndLogged() async throws {
        var config = ArgusConfig()
        config.webhookAllowPrivate = true
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let receiver = Receiver(script: [500, 302])
        try await receiver.app.test(.live) { live in
            let port = try #require(live.port)
            try await h.app.test(.router) { client in
                let base = "/admin/v1/environments/default/webhooks"
                let created = try await client.execute(
                    uri: base, method: .post, headers: bearer(h.boot.secretKey),
                    body: ByteBuffer(string: #"{"url": "http://127.0.0.1:\#(port)/hook", "basicAuth": {"username": "argus", "password": "pw"}}"#))
                #expect(created.status == .created)
                let id = try #require(created.json["id"]?.stringValue)
                let secret = try #require(created.json["secret"]?.stringValue)
                let identified = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
                let eventID = try #require(identified.json["requestId"]?.stringValue)
                let stored = try await client.execute(uri: "/v4/events/\(eventID)", method: .get, headers: bearer(h.boot.secretKey))

                let dispatcher = WebhookDispatcher(runtime: h.runtime)
                for _ in 0..<3 {
                    #expect(await dispatcher.runOnce() == 1)
                    if let d = try await deliveries(h, id).first, d.status == .pending {
                        h.clock.advance(ms: max(0, d.nextAttemptAt - h.clock.now.withLock { $0 }))
                    }
                }
                await dispatcher.sender.shutdown()
                var metrics: [UInt8] = []
                h.runtime.metrics.emit(into: &metrics)
                let text = String(decoding: metrics, as: UTF8.self)
                #expect(text.contains(#"argus_webhook_attempts_total{result="delivered"} 1"#), "\(text)")
                #expect(text.contains(#"argus_webhook_attempts_total{result="retry"} 2"#))
                let got = receiver.received.withLock { $0 }
                #expect(got.count == 3)
                let last = try #require(got.last)
                #expect(last.body == Array(stored.body.readableBytesView))
                let signature = try #require(last.headers[HTTPField.Name("FPJS-Event-Signature")!])
                #expect(WebhookSignature.isValid(header: signature, body: Data(last.body), secret: secret))
                #expect(!WebhookSignature.isValid(header: signature, body: Data(last.body), secret: secret + "x"))
                #expect(last.headers[.contentType] == "application/json")
                #expect(last.headers[.authorization] == "Basic " + Data("argus:pw".utf8).base64EncodedString())
                #expect(last.headers[HTTPField.Name("X-Argus-Event-Id")!] == eventID)
                let deliveryID = try #require(last.headers[HTTPField.Name("X-Argus-Delivery-Id")!])
                #expect(got.map { $0.headers[HTTPField.Name("X-Argus-Delivery-Id")!] } == [deliveryID, deliveryID, deliveryID])
                #expect(got.map { $0.headers[HTTPField.Name("X-Argus-Delivery-Attempt")!] } == ["1", "2", "3"])

                let log = try await client.execute(uri: "\(base)/\(id)/deliveries/\(deliveryID)", method: .get, headers: bearer(h.boot.secretKey))
                #expect(log.status == .ok)
                #expect(log.json["status"] == "delivered")
                #expect(log.json["eventId"] == .string(eventID))
                let attempts = try #require(log.json["log"]?.arrayValue)
                #expect(attempts.map { $0["statusCode"] } == [500, 302, 200])
                #expect(attempts[1]["error"]?.stringValue?.contains("redirect") == true)
                #expect(attempts.allSatisfy { $0["latencyMs"]?.intValue != nil })
                let list = try await client.execute(uri: "\(base)/\(id)/deliveries?status=delivered", method: .get, headers: bearer(h.boot.secretKey))
                #expect(list.json["deliveries"]?.arrayValue?.count == 1)
                let shown = try await client.execute(uri: "\(base)/\(id)", method: .get, headers: bearer(h.boot.secretKey))
                #expect(shown.json["deliveries"]?["delivered"] == 1)
                #expect(shown.json["secret"] == .string(secret))
            }
        }
    }

    @Test func theSSRFGuardRefusesLoopbackNamesAndAddressesUnlessAllowed() async throws {
        let receiver = Receiver()
        try await receiver.app.test(.live) { live in
            let port = try #require(live.port)
            let guarded = HTTPWebhookSender(allowPrivate: false, timeoutMs: 2_000)
            let open = HTTPWebhookSender(allowPrivate: true, timeoutMs: 2_000)
            for url in ["http://127.0.0.1:\(port)/hook", "http://localhost:\(port)/hook", "http://[::ffff:127.0.0.1]:\(port)/hook"] {
                let r = await guarded.send(WebhookRequest(url: url, body: Array("{}".utf8), headers: []))
                #expect(r.statusCode == nil, "\(url)")
                #expect(r.error?.contains("refused") == true, "\(url): \(r.error ?? "")")
            }
            #expect(receiver.received.withLock { $0.count } == 0)
            let allowed = await open.send(WebhookRequest(url: "http://127.0.0.1:\(port)/hook", body: Array("{}".utf8), headers: []))
            #expect(allowed.statusCode == 200)
            #expect(receiver.received.withLock { $0.count } == 1)
            await guarded.shutdown()
            await open.shutdown()
        }
    }

    /// `hooks.test` is a name no resolver knows (RFC 2606): a request that reaches the receiver
    /// went to the address the guard checked, never through a second lookup — over plain HTTP
    /// and over HTTPS, where the certificate is still checked against the name.
    @Test func requestsConnectToTheCheckedAddressOverHTTPAndHTTPS() async throws {
        let pki = try TestPKI(name: "hooks.test")
        defer { pki.remove() }
        let plain = Receiver()
        let secure = Receiver()
        let checked = Mutex<[String]>([])
        try await plain.app.test(.live) { plainLive in
            try await secure.tlsApp(try pki.serverConfiguration()).test(.live) { secureLive in
                let plainPort = try #require(plainLive.port)
                let securePort = try #require(secureLive.port)
                let sender = HTTPWebhookSender(
                    allowPrivate: false, timeoutMs: 5_000, tlsConfiguration: try pki.clientConfiguration(),
                    resolver: { host in
                        guard host == "hooks.test" else { throw HTTPWebhookSender.ResolveError(message: "unknown \(host)") }
                        return ["127.0.0.1"]
                    },
                    policy: { address in
                        checked.withLock { $0.append(address) }
                        return address == "127.0.0.1" ? .allowed : OutboundAddressPolicy.classify(address)
                    })
                let overTLS = await sender.send(
                    WebhookRequest(url: "https://hooks.test:\(securePort)/hook", body: Array("{}".utf8), headers: []))
                #expect(overTLS.statusCode == 200, "\(overTLS.error ?? "")")
                let overHTTP = await sender.send(
                    WebhookRequest(url: "http://hooks.test:\(plainPort)/hook", body: Array("{}".utf8), headers: []))
                #expect(overHTTP.statusCode == 200, "\(overHTTP.error ?? "")")
                #expect(secure.received.withLock { $0.first?.authority } == "hooks.test:\(securePort)")
                #expect(plain.received.withLock { $0.first?.authority } == "hooks.test:\(plainPort)")
                #expect(checked.withLock { $0 } == ["127.0.0.1", "127.0.0.1"])
                #expect(sender.pinnedCount == 1)  // one host, one address: one client, reused

                // Without the guard's pin the same request needs a lookup of its own, which fails:
                // the successes above cannot have come from one.
                let unpinned = HTTPWebhookSender(allowPrivate: true, timeoutMs: 2_000, tlsConfiguration: try pki.clientConfiguration())
                let lookedUp = await unpinned.send(
                    WebhookRequest(url: "https://hooks.test:\(securePort)/hook", body: Array("{}".utf8), headers: []))
                #expect(lookedUp.statusCode == nil)
                #expect(secure.received.withLock { $0.count } == 1)

                // An address the policy refuses is never contacted.
                let rebound = HTTPWebhookSender(
                    allowPrivate: false, timeoutMs: 2_000, tlsConfiguration: try pki.clientConfiguration(),
                    resolver: { _ in ["127.0.0.1", "10.1.2.3"] })
                let refused = await rebound.send(
                    WebhookRequest(url: "https://hooks.test:\(securePort)/hook", body: Array("{}".utf8), headers: []))
                #expect(refused.error?.contains("refused") == true, "\(refused.error ?? "")")
                #expect(secure.received.withLock { $0.count } == 1)
                await sender.shutdown()
                await unpinned.shutdown()
                await rebound.shutdown()
            }
        }
    }

    @Test func aStuckReceiverHoldsOnlyBoundedWorkAndNeverBlocksIdentify() async throws {
        var config = ArgusConfig()
        config.webhookConcurrency = 4
        config.webhookPollMs = 20
        let h = try await Harness.make(config: config)
        defer { h.remove() }
        let w = try await endpoint(h, url: "https://hooks.example/receive")
        for i in 0..<40 { _ = try await storeEvent(h, document: #"{"event_id":"\#(i)"}"#) }
        let stuck = StuckSender()
        let dispatcher = WebhookDispatcher(runtime: h.runtime, sender: stuck)
        let loop = Task { await dispatcher.loop() }
        // Wait until the slots fill (on a loaded machine that can take a while), then a little
        // longer: a fifth send would start within a few polls if the bound did not hold.
        let deadline = ContinuousClock.now + .seconds(15)
        while stuck.maxWaiting.withLock({ $0 }) < 4, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(stuck.maxWaiting.withLock { $0 } == 4)
        // Identify answers at once while every slot hangs.
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody())
            #expect(r.status == .ok)
        }
        let pending = try await deliveries(h, w.record.id).filter { $0.status == .pending }
        #expect(pending.count == 41)
        loop.cancel()
        stuck.release()
        await loop.value
    }
}

/// Never answers until released: a receiver that hangs.
final class StuckSender: WebhookSender {
    struct State {
        var released = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    let state = Mutex(State())
    let maxWaiting = Mutex(0)

    func send(_ request: WebhookRequest) async -> WebhookResponse {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let n = state.withLock { s -> Int? in
                if s.released { return nil }
                s.waiting.append(c)
                return s.waiting.count
            }
            guard let n else { return c.resume() }
            maxWaiting.withLock { $0 = max($0, n) }
        }
        return WebhookResponse(statusCode: nil, error: "timed out")
    }

    func release() {
        let waiting = state.withLock { s in
            s.released = true
            defer { s.waiting.removeAll() }
            return s.waiting
        }
        for c in waiting { c.resume() }
    }

    func shutdown() async {}
}
