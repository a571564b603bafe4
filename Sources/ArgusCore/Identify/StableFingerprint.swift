import Crypto
import Foundation

/// The exact-match fingerprint: a hash over the components that do not
/// change between visits of one browser in ordinary use. The fuzzy engine
/// refines this; the hash stays useful as a blocking key.
public enum StableFingerprint {
    /// Components hashed, in this order. The user agent's browser version,
    /// the screen and the IP are left out: they drift.
    static let keys = [
        "platform", "vendor", "webglVendor", "webglRenderer", "hardwareConcurrency", "deviceMemory",
        "maxTouchPoints", "canvas", "audio", "fonts", "timezone", "languages",
    ]

    public static func hash(_ c: Components) -> String {
        var parts = JSONObject()
        for key in keys { parts.append(key, c[key] ?? .null) }
        parts.append("browser", .string(BrowserDetails.parse(userAgent: c.userAgent ?? "").browserName))
        let digest = SHA256.hash(data: JSONWriter.bytes(.object(parts)))
        return Array(digest.prefix(16)).hexString
    }
}
