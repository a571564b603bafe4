import Synchronization

/// Token buckets, one per key: `rate` tokens a second, up to `burst`. Keys are
/// API keys (a few) and, with the identify endpoint's per-client-IP limit on,
/// client addresses (as many as a flood brings): the table holds at most
/// `capacity` buckets. When a new key finds it full, buckets idle for a minute
/// are dropped (they would be full again), then, if that frees less than a
/// quarter, the least recently used ones until a quarter is free (amortised
/// O(log n) per new key): the error is on the side of giving an evicted
/// client its budget back.
public final class RateLimiter: Sendable {
    struct Bucket: Sendable {
        var tokens: Double
        var updatedMs: Int64
    }

    let clock: ArgusClock
    public let capacity: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(clock: ArgusClock, capacity: Int = 100_000) {
        self.clock = clock
        self.capacity = max(4, capacity)
    }

    /// Buckets held now (tests prove the bound with it).
    public var count: Int { buckets.withLock { $0.count } }

    /// nil when the request may proceed; otherwise the seconds to wait (`Retry-After`).
    public func acquire(_ key: String, ratePerSecond: Double, burst: Double) -> Int? {
        switch admit(key, ratePerSecond: ratePerSecond, burst: burst, maxHoldMs: 0) {
        case .now, .after: return nil
        case .refused(let retryAfter): return retryAfter
        }
    }

    /// What a request over its key's budget is told.
    public enum Admission: Sendable, Equatable {
        /// Proceed.
        case now
        /// Proceed once this many milliseconds have passed: the request's token is reserved and
        /// arrives by then (`maxHoldMs` allowed it).
        case after(milliseconds: Int64)
        /// Refused: the seconds until a token would arrive (`Retry-After`, at least 1).
        case refused(retryAfter: Int)
    }

    /// Like `acquire`, but a request whose token arrives within `maxHoldMs` is held until then
    /// instead of refused (shaping, as nginx's `limit_req` with a delay does). The rate is kept
    /// all the same: the held request spends its token in advance (the bucket goes below zero),
    /// so at most `ratePerSecond × maxHoldMs / 1000` requests wait at once and the rest are
    /// refused. A client a little over the rate is slowed to it, not turned away.
    public func admit(_ key: String, ratePerSecond: Double, burst: Double, maxHoldMs: Int64) -> Admission {
        let now = clock.nowMs()
        return buckets.withLock { buckets in
            if buckets[key] == nil, buckets.count >= capacity {
                // Idle a minute: full again (bursts are seconds); then the least recently used.
                makeRoom(in: &buckets, capacity: capacity, live: { now - $0.updatedMs < 60_000 }, rank: \.updatedMs)
            }
            var b = buckets[key] ?? Bucket(tokens: burst, updatedMs: now)
            b.tokens = min(burst, b.tokens + Double(max(0, now - b.updatedMs)) / 1000 * ratePerSecond)
            b.updatedMs = now
            defer { buckets[key] = b }
            if b.tokens >= 1 {
                b.tokens -= 1
                return .now
            }
            let waitMs = Int64(((1 - b.tokens) / ratePerSecond * 1000).rounded(.up))
            if waitMs <= maxHoldMs {
                b.tokens -= 1
                return .after(milliseconds: waitMs)
            }
            return .refused(retryAfter: max(1, Int((waitMs + 999) / 1000)))
        }
    }
}
