import Crypto
import Foundation

/// The signature Argus puts on every webhook (spec §4):
/// `FPJS-Event-Signature: v1=<lowercase hex HMAC-SHA256(body, secret)>`.
public enum WebhookSigning {
    public static let header = "FPJS-Event-Signature"

    public static func signature(body: some DataProtocol, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        var out = "v1="
        out.reserveCapacity(67)
        let hex = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for b in mac {
            bytes.append(hex[Int(b >> 4)])
            bytes.append(hex[Int(b & 0x0F)])
        }
        out += String(decoding: bytes, as: UTF8.self)
        return out
    }
}
