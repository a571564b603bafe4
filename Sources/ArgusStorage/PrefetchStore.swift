import ArgusCore

/// A prefetch task (spec §7): written before `POST /fingerprint/ingest` answers 202, run by the
/// prefetch worker until it resolves the event or gives up.
public struct PrefetchTask: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case pending, done, failed
    }

    /// The event id (Fingerprint's request id); one task per request id.
    public var requestID: String
    /// The environment of the ingesting key (nil: a workspace key, which sees every environment).
    public var environmentID: String?
    public var subscriberID: Int64
    public var sessionID: String
    public var userID: String
    public var status: Status
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var nextAttemptAt: Int64
    /// When the event was fetched (status done).
    public var fetchedAt: Int64?
    /// The cached value (JSON `{"request_id", …, "event": {…}}`), kept so that the embedded cache survives restarts.
    public var result: [UInt8]?

    public init(
        requestID: String, environmentID: String?, subscriberID: Int64, sessionID: String, userID: String,
        status: Status = .pending, attempts: Int = 0, lastError: String? = nil, createdAt: Int64, updatedAt: Int64? = nil,
        nextAttemptAt: Int64? = nil, fetchedAt: Int64? = nil, result: [UInt8]? = nil
    ) {
        self.requestID = requestID
        self.environmentID = environmentID
        self.subscriberID = subscriberID
        self.sessionID = sessionID
        self.userID = userID
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.nextAttemptAt = nextAttemptAt ?? createdAt
        self.fetchedAt = fetchedAt
        self.result = result
    }
}

/// Storage of the ingest and prefetch pipeline and of BIN velocity (spec §7).
public protocol PrefetchStore: Sendable {
    /// Inserts the task unless one exists for its request id; returns the stored task and whether it is new.
    func insertPrefetch(_ task: PrefetchTask) async throws -> (task: PrefetchTask, created: Bool)
    func prefetch(requestID: String) async throws -> PrefetchTask?
    /// Pending tasks due at `now`, leased until `leaseUntil` so that other instances skip them meanwhile.
    func claimDuePrefetches(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [PrefetchTask]
    /// Saves a task's progress (status, attempts, error, next attempt, result) and releases its lease.
    func updatePrefetch(_ task: PrefetchTask) async throws
    /// The newest task with a result for the session, else for the user, in the environment (nil: any).
    func latestPrefetch(environmentID: String?, sessionID: String?, userID: String?) async throws -> PrefetchTask?
    /// Records that each subject (`device:…`, `user:…`) used `bin` at `at`, and answers, for each subject,
    /// how many distinct BINs it used since each time of `since` (one transaction; subjects' rows older
    /// than the oldest window are pruned).
    func observeBIN(_ bin: String, subjects: [String], at: Int64, since: [Int64]) async throws -> [[Int]]
}
