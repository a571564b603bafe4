import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IP address text: validation and canonical form.
public enum IPAddress {
    /// The canonical text of an IPv4 or IPv6 address, or nil if `text` is not one.
    public static func canonical(_ input: some StringProtocol) -> String? {
        guard let s = trimmed(input) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            guard inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)) != nil else { return nil }
            return Self.text(buffer)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)) != nil else { return nil }
            return Self.text(buffer)
        }
        return nil
    }

    /// The text without surrounding spaces and tabs (what a header list puts around an
    /// address), or nil when nothing that could be an address (1–45 bytes) is left.
    /// Byte-wise: Foundation's trimming costs more than the parsing (measured on /v1/identify).
    static func trimmed(_ input: some StringProtocol) -> String? {
        let utf8 = Substring(input).utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
        while end > start {
            let before = utf8.index(before: end)
            guard utf8[before] == 0x20 || utf8[before] == 0x09 else { break }
            end = before
        }
        let count = utf8.distance(from: start, to: end)
        guard count > 0, count <= 45 else { return nil }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func isIPv6(_ text: String) -> Bool { text.contains(":") }

    /// The address's bytes in network order (4 or 16), or nil if `text` is not an address.
    public static func bytes(_ input: some StringProtocol) -> [UInt8]? {
        guard let s = trimmed(input) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
