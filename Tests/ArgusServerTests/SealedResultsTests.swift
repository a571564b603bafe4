import ArgusCore
import ArgusStorage
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ArgusServer

@Suite struct SealedResultsTests {
    func key(_ shown: EncryptionKeys.Shown) -> SymmetricKey { SymmetricKey(data: shown.key) }

    @Test func noKeyNoSealedResult_activeKeySealsTheServedBytes() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let keys = EncryptionKeys(runtime: h.runtime)
        let initial = try await keys.list(h.boot.environment)
        #expect(initial.count == 1)
        #expect(initial[0].record.status == .inactive)
        try await h.app.test(.router) { client in
            let plain = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).json
            #expect(plain["sealedResult"] == nil)

            let active = try await keys.activate(h.boot.environment)
            h.clock.advance(ms: 1000)  // key caches expire within a second
            let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).json
            let sealed = try #require(r["sealedResult"]?.stringValue)
            let id = try #require(r["requestId"]?.stringValue)
            let opened = try SealedResult.unseal(base64: sealed, keys: [key(active)])
            let served = try await client.execute(uri: "/v4/events/\(id)", method: .get, headers: bearer(h.boot.secretKey))
            #expect(opened == Array(served.body.readableBytesView))
        }
        await h.runtime.flushSealCounts()
        let counted = try await keys.list(h.boot.environment).first { $0.record.status == .active }
        #expect(counted?.record.sealCount == 1)
    }

    @Test func rotationShowsTheNextKeyThenSwitchesAndRevertGoesBack() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let keys = EncryptionKeys(runtime: h.runtime)
        let first = try await keys.activate(h.boot.environment)
        let shown = try await keys.rotate(h.boot.environment, confirm: false)
        #expect(shown.record.status == .pending)
        let shownAgain = try await keys.rotate(h.boot.environment, confirm: false)
        #expect(shownAgain.record.id == shown.record.id)
        try await h.app.test(.router) { client in
            func seal() async throws -> String {
                h.clock.advance(ms: 1000)
                let r = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).json
                return try #require(r["sealedResult"]?.stringValue)
            }
            // Until confirmed, the old key still seals.
            #expect((try? SealedResult.unseal(base64: try await seal(), keys: [key(first)])) != nil)
            let second = try await keys.rotate(h.boot.environment, confirm: true)
            #expect(second.record.id == shown.record.id)
            #expect(second.record.status == .active)
            let afterRotation = try await seal()
            #expect(throws: SealedResult.UnsealError.self) { try SealedResult.unseal(base64: afterRotation, keys: [key(first)]) }
            #expect((try? SealedResult.unseal(base64: afterRotation, keys: [key(first), key(second)])) != nil)

            let reverted = try await keys.revert(h.boot.environment)
            #expect(reverted.record.id == first.record.id)
            #expect((try? SealedResult.unseal(base64: try await seal(), keys: [key(first)])) != nil)
            let all = try await keys.list(h.boot.environment)
            #expect(all.filter { $0.record.status == .active }.count == 1)

            _ = try await keys.deactivate(h.boot.environment)
            h.clock.advance(ms: 1000)
            let off = try await client.execute(uri: "/v1/identify", method: .post, body: h.identifyBody()).json
            #expect(off["sealedResult"] == nil)
        }
    }

    @Test func deactivatedKeysCannotBeDeletedFor72Hours() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let keys = EncryptionKeys(runtime: h.runtime)
        let k = try await keys.activate(h.boot.environment)
        await #expect(throws: EncryptionKeys.Failure.cannotDeleteActive) {
            try await keys.delete(h.boot.environment, id: k.record.id)
        }
        _ = try await keys.deactivate(h.boot.environment)
        h.clock.advance(ms: 71 * 3600 * 1000)
        await #expect(throws: EncryptionKeys.Failure.self) { try await keys.delete(h.boot.environment, id: k.record.id) }
        h.clock.advance(ms: 2 * 3600 * 1000)
        try await keys.delete(h.boot.environment, id: k.record.id)
        // The environment gets a fresh inactive key when it has none left.
        let left = try await keys.list(h.boot.environment)
        #expect(left.count == 1 && left[0].record.id != k.record.id && left[0].record.status == .inactive)
    }

    @Test func theStoreRefusesASecondActiveKey() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let keys = EncryptionKeys(runtime: h.runtime)
        let a = try await keys.activate(h.boot.environment)
        var b = try keys.newKey(h.boot.environment, status: .active)
        b.activatedAt = 1
        await #expect(throws: StoreError.self) { try await h.runtime.store.saveEncryptionKeys([b]) }
        #expect(try await h.runtime.store.encryptionKeys(environmentID: h.boot.environment.id).filter { $0.status == .active }.map(\.id) == [a.record.id])
    }

    @Test func openClientResponseOnlyForAValidProxySecret() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let active = try await EncryptionKeys(runtime: h.runtime).activate(h.boot.environment)
        try await Provisioning(runtime: h.runtime).setOpenResponse(environment: h.boot.environment, enabled: true)
        let secret = HTTPField.Name("FPJS-Proxy-Secret")!
        try await h.app.test(.router) { client in
            let open = try await client.execute(
                uri: "/v1/identify", method: .post, headers: [secret: h.boot.proxySecret], body: h.identifyBody()
            ).json
            #expect(open["v"] == "2")
            let requestID = try #require(open["requestId"]?.stringValue)
            let sealed = try #require(open["sealedResult"]?.stringValue)
            let data = open["products"]?["identification"]?["data"]
            #expect(data?["visitorToken"]?.stringValue?.hasPrefix("v1.") == true)
            #expect(data?["result"]?["visitorId"] == "")
            #expect(open["visitorId"] == nil)
            let event = try JSONParser.parse(try SealedResult.unseal(base64: sealed, keys: [key(active)]))
            #expect(event["event_id"] == .string(requestID))

            let wrong = try await client.execute(
                uri: "/v1/identify", method: .post, headers: [secret: "ps_wrong"], body: h.identifyBody()
            ).json
            #expect(wrong["v"] == nil)
            #expect(wrong["visitorId"]?.stringValue?.count == 20)
            #expect(wrong["sealedResult"] != nil)
        }
    }

    @Test func adminAPIManagesKeysWithTheAdminScopeOnly() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let reader = try await Provisioning(runtime: h.runtime).createKey(
            environment: h.boot.environment, kind: .secret, scopes: [.readEvents])
        try await h.app.test(.router) { client in
            let denied = try await client.execute(
                uri: "/admin/v1/environments/default/encryption-keys/activate", method: .post, headers: bearer(reader.key))
            #expect(denied.status == .forbidden)
            let activated = try await client.execute(
                uri: "/admin/v1/environments/default/encryption-keys/activate", method: .post, headers: bearer(h.boot.secretKey))
            #expect(activated.status == .ok)
            #expect(activated.json["status"] == "active")
            let noRevert = try await client.execute(
                uri: "/admin/v1/environments/default/encryption-keys/revert", method: .post, headers: bearer(h.boot.secretKey))
            #expect(noRevert.status == .conflict)
            let listed = try await client.execute(
                uri: "/admin/v1/environments/default/encryption-keys", method: .get, headers: bearer(h.boot.secretKey))
            #expect(listed.json["keys"]?.arrayValue?.count == 1)
            let missing = try await client.execute(
                uri: "/admin/v1/environments/nope/encryption-keys", method: .get, headers: bearer(h.boot.secretKey))
            #expect(missing.status == .notFound)
        }
    }
}
