import Crypto

/// Opaque, tamper-proof tokens for pagination cursors:
/// `base64url(f1|f2|…).base64url(HMAC-SHA256/128)`. Fields must not contain `|`.
public enum SignedFields {
    public static func seal(_ fields: [String], key: SymmetricKey) -> String {
        let payload = Array(fields.joined(separator: "|").utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key).prefix(16)
        return Base64URL.encode(payload) + "." + Base64URL.encode(Array(mac))
    }

    /// The fields when the token is intact and was sealed with `key`; nil otherwise.
    public static func open(_ text: String, key: SymmetricKey) -> [String]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Base64URL.decode(parts[0]), let mac = Base64URL.decode(parts[1]),
            SecretHash.constantTimeEquals(Array(HMAC<SHA256>.authenticationCode(for: payload, using: key).prefix(16)), mac)
        else { return nil }
        return String(decoding: payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    }

    /// A short hash of a query's filters, so that a cursor only continues the query it came from.
    public static func digest(_ parts: [String]) -> String {
        Array(SHA256.hash(data: Array(parts.joined(separator: "\u{1F}").utf8)).prefix(8)).hexString
    }
}
