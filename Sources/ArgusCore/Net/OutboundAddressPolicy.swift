/// Which addresses outgoing requests (webhooks) may reach: not loopback,
/// private, shared (CGNAT), link-local (cloud metadata lives at
/// 169.254.169.254 and fd00:ec2::254), multicast, unspecified or reserved
/// ranges. IPv6 forms that embed an IPv4 address (mapped `::ffff:a.b.c.d`,
/// compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are
/// judged by the embedded address.
public enum OutboundAddressPolicy {
    public enum Verdict: Sendable, Equatable {
        case allowed
        case forbidden(String)
    }

    /// Judges an address given as text; anything that is not an address is refused.
    public static func classify(_ text: String) -> Verdict {
        guard let bytes = IPAddress.bytes(text) else { return .forbidden("not an IP address") }
        return classify(bytes: bytes)
    }

    /// Judges 4 (IPv4) or 16 (IPv6) address bytes in network order.
    public static func classify(bytes b: [UInt8]) -> Verdict {
        if b.count == 4 { return classifyV4(b[0], b[1], b[2], b[3]) }
        guard b.count == 16 else { return .forbidden("not an IP address") }
        let first10Zero = b[0..<10].allSatisfy { $0 == 0 }
        if first10Zero && b[10] == 0xFF && b[11] == 0xFF { return classifyV4(b[12], b[13], b[14], b[15]) }  // ::ffff:a.b.c.d
        if b[0..<12].allSatisfy({ $0 == 0 }) {
            if b[12..<15].allSatisfy({ $0 == 0 }) && (b[15] == 0 || b[15] == 1) {
                return .forbidden(b[15] == 1 ? "loopback" : "unspecified")
            }
            return classifyV4(b[12], b[13], b[14], b[15])  // deprecated IPv4-compatible ::a.b.c.d
        }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..<12].allSatisfy({ $0 == 0 }) {
            return classifyV4(b[12], b[13], b[14], b[15])  // NAT64 64:ff9b::/96
        }
        if b[0] == 0x20 && b[1] == 0x02 { return classifyV4(b[2], b[3], b[4], b[5]) }  // 6to4 2002::/16
        if b[0] & 0xFE == 0xFC { return .forbidden("unique local (private)") }  // fc00::/7
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return .forbidden("link-local") }  // fe80::/10
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return .forbidden("site-local") }  // fec0::/10
        if b[0] == 0xFF { return .forbidden("multicast") }
        if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { return .forbidden("discard-only") }  // 100::/64
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return .forbidden("documentation") }  // 2001:db8::/32
        return .allowed
    }

    static func classifyV4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> Verdict {
        switch (a, b) {
        case (0, _): return .forbidden("unspecified (0.0.0.0/8)")
        case (10, _): return .forbidden("private (10.0.0.0/8)")
        case (100, 64...127): return .forbidden("shared address space (100.64.0.0/10)")
        case (127, _): return .forbidden("loopback")
        case (169, 254): return .forbidden("link-local (169.254.0.0/16, cloud metadata)")
        case (172, 16...31): return .forbidden("private (172.16.0.0/12)")
        case (192, 168): return .forbidden("private (192.168.0.0/16)")
        case (198, 18...19): return .forbidden("benchmarking (198.18.0.0/15)")
        case (224...239, _): return .forbidden("multicast")
        case (240...255, _): return .forbidden("reserved")
        default: break
        }
        if a == 192 && b == 0 && (c == 0 || c == 2) { return .forbidden("reserved (192.0.0.0/24, 192.0.2.0/24)") }
        if a == 198 && b == 51 && c == 100 { return .forbidden("documentation") }
        if a == 203 && b == 0 && c == 113 { return .forbidden("documentation") }
        _ = d
        return .allowed
    }
}
