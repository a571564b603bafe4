#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address as a number, for range tables: IPv4 in the low 32 bits
/// (`isV6` false) or the 128 bits of an IPv6 address.
public struct IPNumber: Sendable, Hashable, Comparable {
    public var value: UInt128
    public var isV6: Bool

    public init(v4: UInt32) {
        value = UInt128(v4)
        isV6 = false
    }

    public init(v6: UInt128) {
        value = v6
        isV6 = true
    }

    /// Parses dotted IPv4 or IPv6 text; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) becomes IPv4.
    public init?(_ text: some StringProtocol) {
        let s = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            self.init(v4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, s, &v6) == 1 else { return nil }
        var n: UInt128 = 0
        withUnsafeBytes(of: &v6) { raw in
            for b in raw { n = (n << 8) | UInt128(b) }
        }
        if n >> 32 == 0xFFFF { self.init(v4: UInt32(truncatingIfNeeded: n)) } else { self.init(v6: n) }
    }

    public static func < (a: IPNumber, b: IPNumber) -> Bool {
        a.isV6 != b.isV6 ? !a.isV6 : a.value < b.value
    }

    /// The address's bit width (32 or 128).
    public var bits: Int { isV6 ? 128 : 32 }
}

/// A network `address/prefix`, as text and as the inclusive range it covers.
public struct IPNetwork: Sendable, Hashable {
    public var first: IPNumber
    public var last: IPNumber
    public var prefix: Int

    public init?(cidr: some StringProtocol) {
        let parts = cidr.split(separator: "/", maxSplits: 1)
        guard let base = parts.first.flatMap({ IPNumber($0) }) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : base.bits
        guard let prefix, prefix >= 0, prefix <= base.bits else { return nil }
        let hostBits = base.bits - prefix
        let hostMask: UInt128 = hostBits == 128 ? .max : ((1 as UInt128) << hostBits) - 1
        first = IPNumber(value: base.value & ~hostMask, isV6: base.isV6)
        last = IPNumber(value: (base.value & ~hostMask) | hostMask, isV6: base.isV6)
        self.prefix = prefix
    }

    public func contains(_ ip: IPNumber) -> Bool { ip.isV6 == first.isV6 && first.value <= ip.value && ip.value <= last.value }

    public var text: String { "\(first.text)/\(prefix)" }
}

extension IPNumber {
    init(value: UInt128, isV6: Bool) {
        self.value = value
        self.isV6 = isV6
    }

    /// Canonical text (inet_ntop).
    public var text: String {
        if !isV6 {
            let v = UInt32(truncatingIfNeeded: value)
            return "\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)"
        }
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { raw in
            for i in 0..<16 { raw[i] = UInt8(truncatingIfNeeded: value >> UInt128(8 * (15 - i))) }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Disjoint ranges with a value each, looked up by binary search. Built from
/// possibly nested networks: the most specific network wins (longest prefix).
public struct RangeTable<Value: Sendable>: Sendable {
    public struct Entry: Sendable {
        public var first: IPNumber
        public var last: IPNumber
        public var value: Value
    }

    private(set) var entries: [Entry] = []

    public init() {}

    public var count: Int { entries.count }

    /// Builds from ranges that are either disjoint or nested (as prefixes are).
    /// Each range carries a specificity; among ranges covering an address the
    /// most specific one answers.
    public init(ranges: [(first: IPNumber, last: IPNumber, specificity: Int, value: Value)]) {
        // Sort by start, wider first; sweep with a stack of open ranges and emit the pieces.
        let sorted = ranges.sorted { a, b in
            a.first != b.first ? a.first < b.first : (a.last != b.last ? b.last < a.last : a.specificity < b.specificity)
        }
        var out: [Entry] = []
        var stack: [(last: IPNumber, value: Value)] = []
        var cursor: IPNumber?  // the first address not emitted yet; nil past the end of the space

        func emit(_ to: IPNumber, _ value: Value) {
            guard let from = cursor, from.isV6 == to.isV6, from.value <= to.value else { return }
            out.append(Entry(first: from, last: to, value: value))
        }
        func pop() {
            let top = stack.removeLast()
            emit(top.last, top.value)
            cursor = top.last.value == .max ? nil : IPNumber(value: top.last.value + 1, isV6: top.last.isV6)
        }
        for r in sorted {
            while let top = stack.last, top.last < r.first { pop() }
            if let top = stack.last, r.first.value > 0 {
                emit(IPNumber(value: r.first.value - 1, isV6: r.first.isV6), top.value)
            }
            stack.append((r.last, r.value))
            cursor = r.first
        }
        while !stack.isEmpty { pop() }
        entries = out
    }

    public func lookup(_ ip: IPNumber) -> Value? {
        var lo = 0
        var hi = entries.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let e = entries[mid]
            if ip < e.first {
                hi = mid - 1
            } else if e.last < ip {
                lo = mid + 1
            } else {
                return e.value
            }
        }
        return nil
    }
}
