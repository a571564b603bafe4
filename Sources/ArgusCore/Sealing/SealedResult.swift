import Crypto
import Foundation

/// Sealed client results (spec §3): base64 of
/// `9E 85 DC ED | nonce (12) | AES-256-GCM(raw deflate(event JSON)) | tag (16)`,
/// no associated data. The format Fingerprint's server SDKs unseal.
public enum SealedResult {
    public static let header: [UInt8] = [0x9E, 0x85, 0xDC, 0xED]
    static let nonceLength = 12
    static let tagLength = 16
    /// Unsealing inflates at most this much (events are a few KB).
    public static let maxPlaintext = 1 << 20

    /// Seals `plaintext` (the event's JSON bytes) under a 32-byte key with a fresh random nonce.
    public static func seal(_ plaintext: [UInt8], key: SymmetricKey) throws -> [UInt8] {
        let compressed = try RawDeflate.compress(plaintext)
        let box = try AES.GCM.seal(compressed, using: key, nonce: AES.GCM.Nonce())
        var out = header
        out.reserveCapacity(header.count + nonceLength + compressed.count + tagLength)
        out.append(contentsOf: box.nonce)
        out.append(contentsOf: box.ciphertext)
        out.append(contentsOf: box.tag)
        return out
    }

    public static func sealBase64(_ plaintext: [UInt8], key: SymmetricKey) throws -> String {
        Data(try seal(plaintext, key: key)).base64EncodedString()
    }

    public enum UnsealError: Error, Equatable, CustomStringConvertible {
        /// Not base64, too short, or not starting with 9E85DCED.
        case invalidHeader
        /// No key opened it; one error per key, in the order tried.
        case decryptionFailed([String])
        /// It opened, but the plaintext is not raw deflate (or inflates past the limit).
        case invalidCompression
        /// It opened and inflated, but is not a JSON object.
        case invalidJSON

        public var description: String {
            switch self {
            case .invalidHeader: return "invalid header: not a sealed result"
            case .decryptionFailed(let errors): return "decryption failed with every key: \(errors.joined(separator: "; "))"
            case .invalidCompression: return "invalid compression: the plaintext is not raw deflate"
            case .invalidJSON: return "invalid JSON: the plaintext is not an event object"
            }
        }
    }

    /// The event JSON inside a sealed result, trying each key in order.
    public static func unseal(_ sealed: [UInt8], keys: [SymmetricKey]) throws(UnsealError) -> [UInt8] {
        guard sealed.count >= header.count + nonceLength + tagLength, Array(sealed.prefix(header.count)) == header else {
            throw .invalidHeader
        }
        let body = sealed[header.count...]
        let nonceEnd = body.startIndex + nonceLength
        let tagStart = body.endIndex - tagLength
        var errors: [String] = []
        for (i, key) in keys.enumerated() {
            let opened: Data
            do {
                let box = try AES.GCM.SealedBox(
                    nonce: AES.GCM.Nonce(data: body[body.startIndex..<nonceEnd]), ciphertext: body[nonceEnd..<tagStart],
                    tag: body[tagStart...])
                opened = try AES.GCM.open(box, using: key)
            } catch {
                errors.append("key \(i): \(error)")
                continue
            }
            guard let plaintext = try? RawDeflate.decompress(Array(opened), maxSize: maxPlaintext) else {
                throw .invalidCompression
            }
            guard case .object = try? JSONParser.parse(plaintext) else { throw .invalidJSON }
            return plaintext
        }
        throw .decryptionFailed(errors)
    }

    /// `unseal` from base64 text (standard alphabet, padded).
    public static func unseal(base64: String, keys: [SymmetricKey]) throws(UnsealError) -> [UInt8] {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .invalidHeader
        }
        return try unseal(Array(data), keys: keys)
    }
}
