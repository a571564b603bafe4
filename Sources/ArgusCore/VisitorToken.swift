import Crypto
import Foundation

/// The token the agent stores and sends back: `v1.<payload>.<mac>`, both
/// base64url. The payload names the environment, the visitor, the time the
/// token was issued and the browser storage it was issued to (an instance:
/// a random 64-bit number, the same for every token that storage receives);
/// the MAC is HMAC-SHA256 (first 16 bytes) under a key that only the server
/// holds, so nobody can forge a token for another visitor.
public struct VisitorToken: Sendable, Equatable {
    public let environmentID: String
    public let visitorID: String
    public let issuedAtMs: Int64
    public let instance: UInt64

    public init(environmentID: String, visitorID: String, issuedAtMs: Int64, instance: UInt64) {
        self.environmentID = environmentID
        self.visitorID = visitorID
        self.issuedAtMs = issuedAtMs
        self.instance = instance
    }
}

public struct VisitorTokenSigner: Sendable {
    static let prefix = "v1"
    static let macLength = 16
    /// HMAC's state after the padded key's blocks, copied for each token: keying it afresh
    /// (padding the key, hashing its two blocks) was about a sixth of verifying one token and
    /// signing another (`argus benchmark-pipeline`: 7.6–7.8 µs, now 6.1–6.8).
    private let keyed: HMAC<SHA256>

    public init(key: SymmetricKey) { self.keyed = HMAC<SHA256>(key: key) }

    /// Derives the token key from the installation's master key.
    public init(masterKey: SymmetricKey) {
        self.init(
            key: HKDF<SHA256>.deriveKey(
                inputKeyMaterial: masterKey, info: Data("argus visitor token v1".utf8), outputByteCount: 32))
    }

    public func sign(_ token: VisitorToken) -> String {
        let payload = "\(token.environmentID)|\(token.visitorID)|\(token.issuedAtMs)|\(String(token.instance, radix: 16))"
        let body = "\(Self.prefix).\(Base64URL.encode(Array(payload.utf8)))"
        return "\(body).\(Base64URL.encode(mac(body)))"
    }

    /// The token's contents if it is well formed and its MAC is ours; nil otherwise.
    public func verify(_ string: String) -> VisitorToken? {
        guard string.utf8.count <= 512 else { return nil }
        let parts = string.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.prefix,
            let given = Base64URL.decode(parts[2]), given.count == Self.macLength,
            let payloadBytes = Base64URL.decode(parts[1])
        else { return nil }
        let body = "\(parts[0]).\(parts[1])"
        guard SecretHash.constantTimeEquals(mac(body), given) else { return nil }
        let fields = String(decoding: payloadBytes, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 4, let issued = Int64(fields[2]), let instance = UInt64(fields[3], radix: 16) else { return nil }
        return VisitorToken(environmentID: String(fields[0]), visitorID: String(fields[1]), issuedAtMs: issued, instance: instance)
    }

    private func mac(_ body: String) -> [UInt8] {
        var h = keyed
        var body = body
        body.withUTF8 { h.update(data: UnsafeRawBufferPointer($0)) }
        return Array(h.finalize().prefix(Self.macLength))
    }
}
