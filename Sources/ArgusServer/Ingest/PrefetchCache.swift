import ArgusCore
import ArgusRedis
import Synchronization

/// Where prefetched events are cached under `fp:prefetch:<request_id>` (spec §7):
/// Redis when `ARGUS_REDIS_URL` is set, an embedded bounded cache otherwise.
public protocol PrefetchCache: Sendable {
    /// `redis` or `embedded`.
    var kind: String { get }
    func put(_ key: String, _ value: [UInt8], ttlSeconds: Int) async throws
    func get(_ key: String) async throws -> [UInt8]?
}

/// Redis: `SET key value EX ttl`, the value being the JSON string.
public struct RedisPrefetchCache: PrefetchCache {
    public let client: RedisClient
    public var kind: String { "redis" }

    public init(client: RedisClient) { self.client = client }

    public func put(_ key: String, _ value: [UInt8], ttlSeconds: Int) async throws {
        try await client.set(key, value, expireSeconds: ttlSeconds)
    }

    public func get(_ key: String) async throws -> [UInt8]? { try await client.get(key) }
}

/// In memory, at most `capacity` entries: expired entries go first, then the oldest inserted.
public final class EmbeddedPrefetchCache: PrefetchCache {
    struct Entry {
        let value: [UInt8]
        let expiresAt: Int64
        let sequence: UInt64
    }

    struct State {
        var entries: [String: Entry] = [:]
        /// Insertion order (key, sequence); stale pairs are skipped when evicting.
        var order: [(String, UInt64)] = []
        var head = 0
        var sequence: UInt64 = 0
    }

    public let capacity: Int
    let clock: ArgusClock
    private let state = Mutex(State())
    public var kind: String { "embedded" }

    public init(capacity: Int, clock: ArgusClock) {
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    public var count: Int { state.withLock { $0.entries.count } }

    public func put(_ key: String, _ value: [UInt8], ttlSeconds: Int) async throws {
        let expiresAt = clock.nowMs() + Int64(ttlSeconds) * 1000
        let capacity = self.capacity
        state.withLock { s in
            s.sequence += 1
            s.entries[key] = Entry(value: value, expiresAt: expiresAt, sequence: s.sequence)
            s.order.append((key, s.sequence))
            while s.entries.count > capacity, s.head < s.order.count {
                let (k, seq) = s.order[s.head]
                s.head += 1
                if s.entries[k]?.sequence == seq { s.entries[k] = nil }
            }
            // Compact the order list once most of it is stale.
            if s.head > 1024, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        let now = clock.nowMs()
        return state.withLock { s in
            guard let e = s.entries[key] else { return nil }
            if e.expiresAt <= now {
                s.entries[key] = nil
                return nil
            }
            return e.value
        }
    }
}
