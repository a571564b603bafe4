/// FNV-1a, 64 bits: a stable hash for values that are persisted or compared
/// across processes (Swift's `Hasher` is seeded per process and must not be).
public struct StableHasher {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            value ^= UInt64(b)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    public mutating func combine(_ s: String) {
        var s = s
        s.withUTF8 { combine($0) }
        combine([0xFF])  // separator: ("ab","c") ≠ ("a","bc")
    }

    public mutating func combine(_ i: Int64) {
        withUnsafeBytes(of: i.littleEndian) { combine($0) }
    }

    public mutating func combine(_ d: Double) {
        withUnsafeBytes(of: d.bitPattern.littleEndian) { combine($0) }
    }

    public static func hash(_ s: String) -> UInt64 {
        var h = StableHasher()
        h.combine(s)
        return h.value
    }
}
