import Synchronization

/// A per-key request budget shared by the Device API's rate limits: at most
/// `limit` requests per `periodSeconds` for each key (a burst of `limit`).
/// Implementations: `BoundedGCRALimiter` (one process, in memory); a Redis-backed
/// one (several instances sharing limits) can conform to the same protocol.
public protocol RequestLimiter: Sendable {
    /// Counts one request; nil when it may proceed, otherwise the seconds until one would be allowed (`Retry-After`, ≥ 1).
    func acquire(_ key: String, limit: Int, periodSeconds: Int) async throws -> Int?
}

/// GCRA (generic cell rate algorithm) in a table of fixed capacity.
///
/// Each key keeps one number, its theoretical arrival time (TAT): a request at
/// `now` is allowed when `TAT - now <= period - interval`, and moves TAT to
/// `max(TAT, now) + interval` (`interval = period / limit`). A key whose TAT
/// is in the past has its whole budget back, exactly as if it had no entry.
///
/// Memory bound: the table never holds more than `capacity` keys. When a new
/// key finds it full, keys whose TAT has passed are dropped (losing nothing);
/// if that frees less than a quarter, the keys nearest to a full budget (lowest
/// TAT) are dropped until a quarter is free. Under a flood of distinct
/// addresses the cost is amortised O(log n) per new key, and the error is on
/// the side of letting an evicted client have its budget back.
public final class BoundedGCRALimiter: RequestLimiter {
    let clock: ArgusClock
    public let capacity: Int
    private let table: Mutex<[String: Int64]>

    public init(clock: ArgusClock, capacity: Int = 100_000) {
        self.clock = clock
        self.capacity = max(4, capacity)
        self.table = Mutex([:])
    }

    /// Keys held now (tests prove the bound with it).
    public var count: Int { table.withLock { $0.count } }

    public func acquire(_ key: String, limit: Int, periodSeconds: Int) -> Int? {
        // Microseconds, so that high limits (thousands a second) keep their precision.
        let now = clock.nowMs() * 1000
        let period = Int64(max(1, periodSeconds)) * 1_000_000
        let interval = max(1, period / Int64(max(1, limit)))
        let tolerance = period - interval
        return table.withLock { table -> Int? in
            let tat = max(table[key] ?? now, now)
            if tat - now > tolerance {
                let wait = tat - tolerance - now
                return Int(max(1, (wait + 999_999) / 1_000_000))
            }
            if table[key] == nil, table.count >= capacity {
                makeRoom(in: &table, capacity: capacity, live: { $0 > now }, rank: { $0 })
            }
            table[key] = tat + interval
            return nil
        }
    }
}

/// The in-memory limiters' room for a new key (`BoundedGCRALimiter`, `RateLimiter`): entries no
/// longer `live` go first (they lose nothing), then, if that freed less than a quarter of
/// `capacity`, those of lowest `rank` (the nearest to a full budget) until a quarter is
/// free. Amortised O(log n) per new key under a flood of distinct keys.
func makeRoom<Value>(
    in table: inout [String: Value], capacity: Int, live: (Value) -> Bool, rank: (Value) -> Int64
) {
    table = table.filter { live($0.value) }
    let target = capacity - capacity / 4
    guard table.count > target else { return }
    let drop = table.sorted { rank($0.value) < rank($1.value) }.prefix(table.count - target)
    for (key, _) in drop { table.removeValue(forKey: key) }
}
