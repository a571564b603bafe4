import Crypto
import Foundation

/// Webhook signatures: `FPJS-Event-Signature: v1=<lowercase hex HMAC-SHA256(body, secret)>`
/// (several comma-separated signatures may be present during a secret rotation).
public enum WebhookSignature {
    public static let header = "FPJS-Event-Signature"

    public static func sign(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether any `v1=` signature in the header matches (compared in constant time).
    public static func isValid(header: String, body: Data, secret: String) -> Bool {
        let expected = Array(sign(body: body, secret: secret).utf8)
        var valid = false
        for part in header.split(separator: ",") {
            let candidate = Array(part.trimmingCharacters(in: .whitespaces).utf8)
            guard candidate.count == expected.count else { continue }
            var diff: UInt8 = 0
            for (a, b) in zip(candidate, expected) { diff |= a ^ b }
            if diff == 0 { valid = true }
        }
        return valid
    }
}
