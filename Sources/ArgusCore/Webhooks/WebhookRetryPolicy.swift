/// When a failed webhook delivery is tried again (spec §4): exponential
/// backoff with jitter, the first retry within 2 s, doubling, at most 15 min
/// between attempts, for at least 24 h after the delivery was (re)queued;
/// then the delivery is marked failed.
public struct WebhookRetryPolicy: Sendable, Equatable {
    /// The upper bound of the wait after the first failed attempt.
    public var firstDelayMs: Int64 = 2_000
    /// The upper bound of any wait.
    public var maxDelayMs: Int64 = 15 * 60_000
    /// Attempts continue until at least this long after the delivery was queued.
    public var horizonMs: Int64 = 24 * 3_600_000

    public init() {}

    public init(firstDelayMs: Int64, maxDelayMs: Int64, horizonMs: Int64) {
        self.firstDelayMs = firstDelayMs
        self.maxDelayMs = maxDelayMs
        self.horizonMs = horizonMs
    }

    /// The ceiling of the wait after failed attempt number `attempt` (1-based): doubling, capped.
    public func ceilingMs(afterAttempt attempt: Int) -> Int64 {
        let shift = min(max(attempt - 1, 0), 40)
        let (value, overflow) = firstDelayMs.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
        return overflow ? maxDelayMs : min(value, maxDelayMs)
    }

    /// The wait after failed attempt `attempt`: "equal jitter", uniformly in
    /// [ceiling/2, ceiling], so that retries spread out but still double.
    /// `unit` is a random number in [0, 1).
    public func delayMs(afterAttempt attempt: Int, unit: Double) -> Int64 {
        let ceiling = ceilingMs(afterAttempt: attempt)
        let half = ceiling / 2
        let jitter = Int64((Double(ceiling - half) * min(max(unit, 0), 1)).rounded(.down))
        return max(1, min(ceiling, half + jitter))
    }

    public enum Decision: Sendable, Equatable {
        case retry(atMs: Int64)
        case giveUp
    }

    /// After attempt `attempt` failed at `nowMs`, for a delivery queued at `queuedAtMs`.
    public func afterFailure(attempt: Int, nowMs: Int64, queuedAtMs: Int64, unit: Double) -> Decision {
        if nowMs - queuedAtMs >= horizonMs { return .giveUp }
        return .retry(atMs: nowMs + delayMs(afterAttempt: attempt, unit: unit))
    }
}
