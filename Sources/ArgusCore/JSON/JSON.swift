/// A JSON value that keeps object keys in order and tells integers from
/// other numbers, so that what Argus writes is byte-for-byte reproducible
/// (signed and sealed payloads are compared as bytes).
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// An integer, also from a double with an integral value.
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type's name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// An ordered JSON object. A key set twice keeps its first place and its last value.
public struct JSONObject: Sendable, Equatable {
    public private(set) var entries: [(key: String, value: JSON)]
    /// Once an object grows past a few keys, an open-addressing table of key positions (each
    /// position + 1; 0 is an empty slot; a power of two at least twice the key count) keeps
    /// lookups O(1). Empty below the threshold, where a scan is cheaper. Keys are hashed with
    /// FNV-1a over their UTF-8 bytes: a parsed identify body builds a few of these per request,
    /// and Swift's seeded String hashing cost more than the parse around it (`argus
    /// benchmark-pipeline`).
    private var table: [Int32] = []
    static let indexThreshold = 12

    public init() { entries = [] }

    public init(_ entries: [(String, JSON)]) {
        self.entries = []
        self.entries.reserveCapacity(entries.count)
        for (k, v) in entries { self[k] = v }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    @inline(__always) static func hash(_ key: String) -> Int {
        @inline(__always) func fnv(_ bytes: some Sequence<UInt8>) -> Int {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return Int(truncatingIfNeeded: h ^ (h >> 32))
        }
        return key.utf8.withContiguousStorageIfAvailable { fnv($0) } ?? fnv(key.utf8)
    }

    func position(of key: String) -> Int? {
        if table.isEmpty { return entries.firstIndex { $0.key == key } }
        let mask = table.count - 1
        var slot = Self.hash(key) & mask
        while true {
            let p = Int(table[slot])
            if p == 0 { return nil }
            if entries[p - 1].key == key { return p - 1 }
            slot = (slot + 1) & mask
        }
    }

    public subscript(key: String) -> JSON? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let i = position(of: key) {
                if let newValue {
                    entries[i].value = newValue
                } else {
                    entries.remove(at: i)
                    reindex()
                }
            } else if let newValue {
                append(key, newValue)
            }
        }
    }

    /// Appends without looking for an existing key (the caller knows it is new).
    public mutating func append(_ key: String, _ value: JSON) {
        entries.append((key, value))
        if table.isEmpty {
            if entries.count > Self.indexThreshold { reindex() }
        } else if entries.count * 2 > table.count {
            reindex()
        } else {
            Self.insert(entries.count - 1, key: key, into: &table)
        }
    }

    private static func insert(_ position: Int, key: String, into table: inout [Int32]) {
        let mask = table.count - 1
        var slot = hash(key) & mask
        while table[slot] != 0 { slot = (slot + 1) & mask }
        table[slot] = Int32(position + 1)
    }

    private mutating func reindex() {
        guard entries.count > Self.indexThreshold else {
            table = []
            return
        }
        var capacity = 64  // room to grow fourfold before the next rebuild
        while capacity < entries.count * 4 { capacity <<= 1 }
        var t = [Int32](repeating: 0, count: capacity)
        for (i, e) in entries.enumerated() { Self.insert(i, key: e.key, into: &t) }
        table = t
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (a, b) in zip(lhs.entries, rhs.entries) where a.key != b.key || a.value != b.value {
            return false
        }
        return true
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}

extension JSON {
    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }
    public init(_ value: Int) { self = .int(Int64(value)) }
    public init(_ value: Int64?) { self = value.map { .int($0) } ?? .null }
    public init(_ value: Bool?) { self = value.map { .bool($0) } ?? .null }
    public init(_ value: Double?) { self = value.map { .double($0) } ?? .null }
    public init(strings: [String]) { self = .array(strings.map { .string($0) }) }
}
