/// The last `N` distinct values, oldest first, stored inline (no heap
/// allocation), so that a profile is one contiguous block of memory and
/// comparing a visit with many candidates stays cache-friendly.
public struct Recent<let N: Int, T: BitwiseCopyable & Equatable & Sendable>: Sendable, Equatable, Sequence {
    private var storage: InlineArray<N, T>
    public private(set) var count: Int = 0

    public init(filler: T) { storage = InlineArray(repeating: filler) }

    /// The last `N` distinct values of `values`, in order.
    public init(_ values: some Sequence<T>, filler: T) {
        self.init(filler: filler)
        for v in values { remember(v) }
    }

    public var isEmpty: Bool { count == 0 }
    public var last: T? { count == 0 ? nil : storage[count - 1] }

    public func contains(_ value: T) -> Bool {
        for i in 0..<count where storage[i] == value { return true }
        return false
    }

    public func contains(where predicate: (T) -> Bool) -> Bool {
        for i in 0..<count where predicate(storage[i]) { return true }
        return false
    }

    /// Moves `value` to the newest place, dropping the oldest when full.
    public mutating func remember(_ value: T) {
        removeAll { $0 == value }
        if count == N {
            for i in 1..<N { storage[i - 1] = storage[i] }
            count -= 1
        }
        storage[count] = value
        count += 1
    }

    public mutating func removeAll(where predicate: (T) -> Bool) {
        var kept = 0
        for i in 0..<count where !predicate(storage[i]) {
            storage[kept] = storage[i]
            kept += 1
        }
        count = kept
    }

    public static func == (a: Self, b: Self) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a.storage[i] != b.storage[i] { return false }
        return true
    }

    public func makeIterator() -> IndexingIterator<[T]> { Array(self.prefixArray()).makeIterator() }

    func prefixArray() -> [T] { (0..<count).map { storage[$0] } }
}

extension Recent where T: ExpressibleByIntegerLiteral {
    public init() { self.init(filler: 0) }
    public init(_ values: some Sequence<T>) { self.init(values, filler: 0) }
}
