import Crypto
import Foundation

/// Seals small secrets at rest (proxy secrets, encryption keys) with
/// AES-256-GCM under a key derived from the installation's master key.
/// Layout: 12-byte nonce | ciphertext | 16-byte tag.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public init(masterKey: SymmetricKey, purpose: String = "argus secret box v1") {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: masterKey, info: Data(purpose.utf8), outputByteCount: 32)
    }

    public func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key)
        return Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    public func open(_ sealed: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= 28 else { throw CryptoKitError.incorrectParameterSize }
        let box = try AES.GCM.SealedBox(
            nonce: AES.GCM.Nonce(data: sealed[0..<12]), ciphertext: sealed[12..<(sealed.count - 16)],
            tag: sealed[(sealed.count - 16)...])
        return Array(try AES.GCM.open(box, using: key))
    }
}

/// The 32-byte key that protects everything else at rest.
public enum MasterKeyFormat {
    /// Parses base64 (standard or url alphabet) of exactly 32 bytes.
    public static func parse(_ text: String) -> SymmetricKey? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes = Data(base64Encoded: trimmed).map(Array.init) ?? Base64URL.decode(trimmed)
        guard let bytes, bytes.count == 32 else { return nil }
        return SymmetricKey(data: bytes)
    }

    public static func generate() -> (key: SymmetricKey, text: String) {
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() }
        return (key, text)
    }
}
