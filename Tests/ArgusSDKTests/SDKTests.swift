import ArgusSDK
import Crypto
import Foundation
import Testing

@Suite struct SDKTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ArgusCoreTests/Fixtures")
    static let key = decryptionKey(base64: "p2PA7MGy5tx56cnyJaFZMr96BCFwZeHjZV2EqMvTq50=")!

    static func vector(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent("sealed/\(name)"), encoding: .utf8)
    }

    @Test func unsealsTheVectorsIntoTypedEvents() throws {
        let event = try unseal(try Self.vector("get_event_200.txt"), keys: [SymmetricKey(size: .bits256), Self.key])
        #expect(event.eventID == "1708102555327.NLOjmg")
        #expect(event.timestamp == 1_708_102_555_327)
        #expect(event.linkedID == "somelinkedId")
        #expect(event.identification?.visitorID == "Ibk1527CUFmcnjLwIs4A9")
        #expect(event.identification?.visitorFound == false)
        #expect(event.browserDetails?.browserName == "Chrome")
        #expect(event.raw["ip_info"] != nil)
        let python = try unseal(try Self.vector("python_valid.txt"), keys: [Self.key])
        #expect(!python.eventID.isEmpty)
    }

    @Test func errorsAreDistinct() throws {
        #expect(throws: UnsealError.invalidHeader) { try unseal(try Self.vector("invalid_header.txt"), keys: [Self.key]) }
        #expect(throws: UnsealError.invalidCompression) { try unseal(try Self.vector("invalid_compression.txt"), keys: [Self.key]) }
        #expect(throws: UnsealError.invalidJSON) { try unseal(try Self.vector("invalid_json.txt"), keys: [Self.key]) }
        let text = try Self.vector("get_event_200.txt")
        do {
            _ = try unseal(text, keys: [SymmetricKey(size: .bits256), SymmetricKey(size: .bits256)])
            Issue.record("opened with wrong keys")
        } catch {
            guard case .allKeysFailed(let errors) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(errors.count == 2)
        }
        #expect(throws: UnsealError.invalidHeader) { try unseal("%%%", keys: [Self.key]) }
    }

    @Test func unknownFieldsAreIgnored() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("get_event_200_with_unknown_field.json"))
        let event = try Event.decode(data)
        #expect(event.eventID == "1708102555327.NLOjmg")
    }

    @Test func webhookSignatures() {
        let header = "v1=1b2c16b75bd2a870c114153ccda5bcfca63314bc722fa160d690de133ccbb9db"
        #expect(WebhookSignature.sign(body: Data("data".utf8), secret: "secret") == header)
        #expect(WebhookSignature.isValid(header: header, body: Data("data".utf8), secret: "secret"))
        #expect(WebhookSignature.isValid(header: "v1=00, " + header, body: Data("data".utf8), secret: "secret"))
        #expect(!WebhookSignature.isValid(header: header, body: Data("date".utf8), secret: "secret"))
        #expect(!WebhookSignature.isValid(header: header, body: Data("data".utf8), secret: "Secret"))
        #expect(!WebhookSignature.isValid(header: "", body: Data("data".utf8), secret: "secret"))
    }

    @Test func replayGuardAcceptsOnceWithinTheWindow() {
        let guardian = ReplayGuard(windowSeconds: 120)
        let now: Int64 = 1_760_000_000_000
        #expect(guardian.check(eventID: "1.a", timestamp: now - 1000, nowMs: now) == .accepted)
        #expect(guardian.check(eventID: "1.a", timestamp: now - 1000, nowMs: now + 10) == .replayed)
        #expect(guardian.check(eventID: "1.b", timestamp: now - 121_000, nowMs: now) == .outsideWindow)
        #expect(guardian.check(eventID: "1.c", timestamp: now + 121_000, nowMs: now) == .outsideWindow)
        // Many ids later, old ones are forgotten but an old id is still refused by the window.
        for i in 0..<5000 { _ = guardian.check(eventID: "x.\(i)", timestamp: now + 200_000, nowMs: now + 200_000) }
        #expect(guardian.check(eventID: "1.a", timestamp: now - 1000, nowMs: now + 200_000) == .outsideWindow)
        #expect(guardian.check(eventID: "x.1", timestamp: now + 200_000, nowMs: now + 200_001) == .replayed)
    }
}
