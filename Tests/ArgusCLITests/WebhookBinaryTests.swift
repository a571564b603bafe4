import ArgusCore
import ArgusTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Webhooks through the real binary: an outage of the receiver, a `kill -9`
/// of the server in the middle, and two servers sharing one database.
@Suite(.serialized) struct WebhookBinaryTests {

    /// Counts deliveries per event id; answers 500 to the first `failures` requests.
    final class Receiver: Sendable {
        let received = Mutex<[String: Int]>([:])
        let badSignatures = Mutex(0)
        let failures: Mutex<Int>
        let secret: String

        init(secret: String, failures: Int) {
            self.secret = secret
            self.failures = Mutex(failures)
        }

        func run(port: Int) -> Task<Void, any Error> {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                let bytes = Array(body.readableBytesView)
                if self.failures.withLock({ n in defer { n -= 1 }; return n > 0 }) { return Response(status: .internalServerError) }
                let signature = request.headers[HTTPField.Name("FPJS-Event-Signature")!] ?? ""
                if signature != WebhookSigning.signature(body: bytes, secret: self.secret) { self.badSignatures.withLock { $0 += 1 } }
                if let id = (try? JSONParser.parse(bytes))?["event_id"]?.stringValue { self.received.withLock { $0[id, default: 0] += 1 } }
                return Response(status: .ok)
            }
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
            return Task { try await app.runService(gracefulShutdownSignals: []) }
        }

        func waitFor(_ ids: [String], seconds: Double) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let got = received.withLock { $0 }
                if ids.allSatisfy({ got[$0] != nil }) { return true }
                try await Task.sleep(for: .milliseconds(200))
            }
            return false
        }
    }

    @Test func everyEventArrivesAfterAnOutageAndAKillDashNine() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("argus-wh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let boot = try JSONParser.parse(try BinaryTests.run(["bootstrap", "--json", "--data-dir", dir]).1)
        let publicKey = try #require(boot["publicKey"]?.stringValue)
        let port = try LoopbackPort.free()

        // Without the operator's permission a loopback target is refused with a clear error.
        let refused = try BinaryTests.run(["webhooks", "create", "--environment", "default", "--url", "http://127.0.0.1:\(port)/hook", "--json", "--data-dir", dir])
        #expect(refused.0 != 0)
        #expect(refused.1.isEmpty)
        #expect(refused.2.contains("ARGUS_WEBHOOK_ALLOW_PRIVATE"))

        setenv("ARGUS_WEBHOOK_ALLOW_PRIVATE", "1", 1)
        let (status, stdout, stderr) = try BinaryTests.run(
            ["webhooks", "create", "--environment", "default", "--url", "http://127.0.0.1:\(port)/hook", "--json", "--data-dir", dir])
        unsetenv("ARGUS_WEBHOOK_ALLOW_PRIVATE")
        #expect(status == 0, "\(stderr)")
        let created = try JSONParser.parse(stdout)
        #expect(created.objectValue?.keys == ["id", "secret"])  // exactly, spec §9
        let secret = try #require(created["secret"]?.stringValue)

        let env = ["ARGUS_WEBHOOK_ALLOW_PRIVATE": "1", "ARGUS_WEBHOOK_TIMEOUT_MS": "2000"]
        // The receiver is down (connections refused) while events come in; the server is killed with -9 meanwhile.
        var server = try BinaryTests.Server(dataDir: dir, environment: env)
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await server.identify(publicKey)) }
        try await Task.sleep(for: .milliseconds(1500))  // some attempts fail and are rescheduled, some may be mid-flight
        server.signal(SIGKILL)
        server = try BinaryTests.Server(dataDir: dir, environment: env)
        for _ in 0..<3 { ids.append(try await server.identify(publicKey)) }

        // Back, but failing with 500 for a while, then healthy.
        let receiver = Receiver(secret: secret, failures: 4)
        let receiving = receiver.run(port: port)
        defer { receiving.cancel() }
        #expect(try await receiver.waitFor(ids, seconds: 150), "missing: \(ids.filter { receiver.received.withLock { $0 }[$0] == nil })")
        #expect(receiver.badSignatures.withLock { $0 } == 0)

        // A second server on the same database: both deliver, neither sends what the other claimed.
        let second = try BinaryTests.Server(dataDir: dir, environment: env)
        var more: [String] = []
        for i in 0..<20 { more.append(try await (i % 2 == 0 ? server : second).identify(publicKey)) }
        #expect(try await receiver.waitFor(more, seconds: 30))
        try await Task.sleep(for: .milliseconds(1000))
        let counts = receiver.received.withLock { $0 }
        #expect(more.allSatisfy { counts[$0] == 1 }, "each event once while every instance is healthy")
        second.signal(SIGTERM)
        server.signal(SIGTERM)
        #expect(server.process.terminationStatus == 0)
    }
}

extension BinaryTests.Server {
    /// One identify with a minimal body; the event id.
    func identify(_ publicKey: String) async throws -> String {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/identify")!)
        r.httpMethod = "POST"
        r.httpBody = Data(
            #"{"v":1,"publicKey":"\#(publicKey)","token":null,"components":{"userAgent":"Mozilla/5.0","platform":"Linux x86_64"}}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: r)
        guard (response as? HTTPURLResponse)?.statusCode == 200, let id = try JSONParser.parse(Array(data))["requestId"]?.stringValue
        else { throw BinaryTests.Failure("identify failed: \(String(decoding: data, as: UTF8.self))") }
        return id
    }
}
