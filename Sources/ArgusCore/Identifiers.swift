import Crypto
import Foundation

/// Random identifiers and secrets. Everything here draws from the system CSPRNG.
public enum Identifiers {
    static let base62: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `count` characters of [0-9A-Za-z], uniformly distributed (rejection sampling).
    public static func randomBase62(_ count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            // Eight random bytes per call to the system generator.
            var word = rng.next()
            for _ in 0..<8 where out.count < count {
                let r = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if r < 248 { out.append(base62[Int(r % 62)]) }  // 248 = 4 × 62
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// An event id: the creation time in milliseconds, a dot, six random characters
    /// (`1708102555327.NLOjmg`).
    public static func eventID(timestampMs: Int64) -> String {
        "\(timestampMs).\(randomBase62(6))"
    }

    /// A visitor id: 20 opaque characters.
    public static func visitorID() -> String { randomBase62(20) }

    public static func isEventID(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count >= 10, parts[0].count <= 16, parts[0].allSatisfy(\.isASCIIDigit),
            (1...32).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIAlnum)
        else { return false }
        return true
    }

    public static func isVisitorID(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.allSatisfy { $0.isASCIIAlnum || $0 == "_" || $0 == "-" }
    }

    public static func environmentID() -> String { "env_" + randomBase62(16) }
    public static func keyID() -> String { "key_" + randomBase62(16) }
    public static func publicKey() -> String { "pk_" + randomBase62(24) }
    public static func secretKey() -> String { "sk_" + randomBase62(40) }
    public static func proxySecret() -> String { "ps_" + randomBase62(40) }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIIAlnum: Bool { isASCII && (isLetter || isNumber) }
}

/// Hashes and comparisons for secrets: a secret is stored only as its SHA-256.
public enum SecretHash {
    public static func sha256Hex(_ s: String) -> String {
        SHA256.hash(data: Data(s.utf8)).hexString
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }
}

extension Sequence where Element == UInt8 {
    public var hexString: String {
        var out = [UInt8]()
        for b in self {
            out.append(JSONWriter.hex[Int(b >> 4)])
            out.append(JSONWriter.hex[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Digest {
    public var hexString: String { Array(self).hexString }
}

/// base64url without padding (RFC 4648 §5), without Foundation (hot path: every token).
public enum Base64URL {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for characters outside the alphabet, padding, or an impossible length.
    public static func decode(_ s: some StringProtocol) -> [UInt8]? {
        let input = Array(s.utf8)
        guard input.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in input {
            let v = values[Int(c)]
            guard v != 0xFF else { return nil }
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Unused trailing bits must be zero (one encoding per value).
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
