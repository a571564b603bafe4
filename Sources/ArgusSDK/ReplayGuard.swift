import Synchronization

/// Replay protection for sealed results and webhooks (the seed's advice): an
/// `event_id` is accepted once, and its `timestamp` must be within `window`
/// of now. Remembers ids only as long as they could still be accepted, so
/// memory is bounded by the traffic of one window.
public final class ReplayGuard: Sendable {
    public enum Verdict: Sendable, Equatable {
        case accepted
        /// Seen before.
        case replayed
        /// Older than the window (or too far in the future).
        case outsideWindow
    }

    public let windowMs: Int64

    struct State {
        var seen: [String: Int64] = [:]
        /// Forget expired ids when this many are remembered (doubling: amortised O(1) per check).
        var pruneAt = 1024
    }

    private let state = Mutex(State())

    public init(windowSeconds: Int = 120) { windowMs = Int64(windowSeconds) * 1000 }

    public func check(eventID: String, timestamp: Int64, nowMs: Int64) -> Verdict {
        guard abs(nowMs - timestamp) <= windowMs else { return .outsideWindow }
        return state.withLock { s in
            if s.seen.count >= s.pruneAt {
                s.seen = s.seen.filter { abs(nowMs - $0.value) <= windowMs }
                s.pruneAt = max(1024, 2 * s.seen.count)
            }
            if s.seen[eventID] != nil { return .replayed }
            s.seen[eventID] = timestamp
            return .accepted
        }
    }

    public func check(_ event: Event, nowMs: Int64) -> Verdict {
        check(eventID: event.eventID, timestamp: event.timestamp, nowMs: nowMs)
    }
}
