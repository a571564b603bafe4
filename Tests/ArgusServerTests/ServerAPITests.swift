import ArgusCore
import ArgusStorage
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

@Suite struct ServerAPITests {
    func createEvent(_ client: some TestClientProtocol, _ h: Harness, publicKey: String? = nil) async throws -> String {
        let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody(publicKey: publicKey))
        return try #require(r.json["requestId"]?.stringValue)
    }

    @Test func authenticationErrorsMatchTheVectors() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let id = try await createEvent(client, h)
            let missing = try await client.execute(uri: "/v4/events/\(id)", method: .get)
            #expect(missing.status == .forbidden)
            #expect(missing.json == ["error": ["code": "secret_api_key_required", "message": "secret API key in header is missing or empty"]])

            let unknown = try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer("sk_nope"))
            #expect(unknown.status == .forbidden)
            #expect(unknown.errorCode == "secret_api_key_not_found")

            let notFound = try await client.execute(
                uri: "/v4/events/1708102555327.NLOjmg", method: .get, headers: bearer(h.boot.secretKey))
            #expect(notFound.status == .notFound)
            #expect(notFound.json == ["error": ["code": "event_not_found", "message": "event id not found"]])

            let malformed = try await client.execute(uri: "/v4/events/x'y", method: .get, headers: bearer(h.boot.secretKey))
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "request_cannot_be_parsed")

            // The SDK adds unknown query parameters such as `ii`: they are ignored.
            let withQuery = try await client.execute(
                uri: "/v4/events/\(id)?ii=fingerprint-server-python-sdk%2F9.0.0", method: .get, headers: bearer(h.boot.secretKey))
            #expect(withQuery.status == .ok)
        }
    }

    @Test func scopesAndEnvironmentsAreEnforced() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let p = Provisioning(runtime: h.runtime)
        let staging = try await p.createEnvironment(name: "staging")
        let stagingPublic = try await p.createKey(environment: staging, kind: .public)
        let stagingSecret = try await p.createKey(environment: staging, kind: .secret)
        let workspaceSecret = try await p.createKey(environment: nil, kind: .secret)
        let noRead = try await p.createKey(environment: h.boot.environment, kind: .secret, scopes: [.ingest])
        try await h.app.test(.router) { client in
            let defaultEvent = try await createEvent(client, h)
            let stagingEvent = try await createEvent(client, h, publicKey: stagingPublic.key)

            // A staging key does not see default's event, not even by id.
            let cross = try await client.execute(
                uri: "/v4/events/\(defaultEvent)", method: .get, headers: bearer(stagingSecret.key))
            #expect(cross.status == .notFound)
            let own = try await client.execute(uri: "/v4/events/\(stagingEvent)", method: .get, headers: bearer(stagingSecret.key))
            #expect(own.status == .ok)
            #expect(own.json["environment_id"] == .string(staging.id))

            // A workspace key sees both.
            for id in [defaultEvent, stagingEvent] {
                let r = try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer(workspaceSecret.key))
                #expect(r.status == .ok)
            }

            let scoped = try await client.execute(uri: "/v4/events/\(defaultEvent)", method: .get, headers: bearer(noRead.key))
            #expect(scoped.status == .forbidden)
            #expect(scoped.errorCode == "insufficient_scope")
        }
    }

    @Test func theEventIsServedAsTheSameBytesEveryTime() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let id = try await createEvent(client, h)
            let a = try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer(h.boot.secretKey))
            let b = try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(a.body == b.body)
            #expect(a.headers[.contentType] == "application/json")
            // Strict types: integers are integers, booleans are booleans.
            let e = a.json
            guard case .int = e["timestamp"], case .bool = e["identification"]?["visitor_found"],
                case .int = e["identification"]?["first_seen_at"]
            else {
                Issue.record("wrong JSON types in \(e)")
                return
            }
        }
    }

    @Test func healthMetricsAndUnknownRoutes() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        try await h.app.test(.router) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(health.json["status"] == "ok")
            _ = try await createEvent(client, h)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            #expect(text.contains(#"argus_http_requests_total{route="/v1/identify",method="POST",status="200"} 1"#))
            #expect(text.contains("argus_http_request_duration_seconds_bucket"))
            let unknown = try await client.execute(uri: "/nowhere", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "not_found")
        }
    }
}
