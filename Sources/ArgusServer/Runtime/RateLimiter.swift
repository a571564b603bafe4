import Synchronization

/// Token buckets, one per key: `rate` tokens a second, up to `burst`. The
/// map holds only authenticated keys (requests are limited after their key
/// is known), so it stays as small as the set of keys in use; idle buckets
/// are dropped when it grows.
public final class RateLimiter: Sendable {
    struct Bucket: Sendable {
        var tokens: Double
        var updatedMs: Int64
    }

    let clock: ArgusClock
    private let buckets = Mutex<[String: Bucket]>([:])
    static let maxBuckets = 100_000

    public init(clock: ArgusClock) { self.clock = clock }

    /// nil when the request may proceed; otherwise the seconds to wait (`Retry-After`).
    public func acquire(_ key: String, ratePerSecond: Double, burst: Double) -> Int? {
        let now = clock.nowMs()
        return buckets.withLock { buckets in
            if buckets.count >= Self.maxBuckets {
                buckets = buckets.filter { now - $0.value.updatedMs < 60_000 }
            }
            var b = buckets[key] ?? Bucket(tokens: burst, updatedMs: now)
            b.tokens = min(burst, b.tokens + Double(max(0, now - b.updatedMs)) / 1000 * ratePerSecond)
            b.updatedMs = now
            defer { buckets[key] = b }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - b.tokens) / ratePerSecond).rounded(.up)))
        }
    }
}
