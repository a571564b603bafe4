import ArgusCore
import ArgusSDK
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArgusServer

/// The SDK's Server API client against a real Argus server on a loopback port.
@Suite struct SDKClientTests {
    @Test func getEventAndErrors() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let app = Application(router: buildRouter(h.runtime), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(linkedID: "sdk")).json
            let id = try #require(r["requestId"]?.stringValue)
            let base = "http://127.0.0.1:\(client.port!)/v4"
            let api = ServerAPIClient(baseURL: base, secretKey: h.boot.secretKey)
            let event = try await api.getEvent(id)
            #expect(event.eventID == id)
            #expect(event.linkedID == "sdk")
            #expect(event.identification?.visitorID == r["visitorId"]?.stringValue)
            do {
                _ = try await api.getEvent("1708102555327.NLOjmg")
                Issue.record("found a missing event")
            } catch let error as ServerAPIClient.APIError {
                #expect(error.status == 404)
                #expect(error.code == "event_not_found")
            }
            do {
                _ = try await ServerAPIClient(baseURL: base, secretKey: "sk_nope").getEvent(id)
                Issue.record("a bad key was accepted")
            } catch let error as ServerAPIClient.APIError {
                #expect(error.status == 403)
                #expect(error.code == "secret_api_key_not_found")
            }
        }
    }
}
