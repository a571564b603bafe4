import ArgusCore

/// Everything Argus persists, behind one protocol. Implementations: SQLite
/// (embedded default) and, for several instances, PostgreSQL. No database
/// type appears here, so callers do not change with the implementation.
///
/// Durability contract: when a write method returns, its change is committed
/// and survives a crash of the process (`kill -9`).
public protocol ArgusStore: DeviceStore, WebhookStore, PrefetchStore {
    /// Brings the schema to the newest version (idempotent).
    func migrate() async throws
    /// Answers when the store is reachable (health checks).
    func ping() async throws
    /// Housekeeping the server runs every few hundred milliseconds, off the request path
    /// (SQLite: copies committed WAL pages into the database file). Default: nothing.
    func maintain() async throws
    /// Releases what the store holds (PostgreSQL: its connection pool); the store is unusable
    /// afterwards. Default: nothing (SQLite closes with its last reference).
    func close() async

    // MARK: installation settings
    func setting(_ name: String) async throws -> [UInt8]?
    /// Stores `value` under `name` unless a value is there; returns the value that is stored.
    func settingInsertIfAbsent(_ name: String, value: [UInt8]) async throws -> [UInt8]

    // MARK: environments
    /// Throws `StoreError.conflict` when the name is taken.
    func createEnvironment(_ environment: EnvironmentRecord) async throws
    func environment(named name: String) async throws -> EnvironmentRecord?
    func environment(id: String) async throws -> EnvironmentRecord?
    func environments() async throws -> [EnvironmentRecord]
    func setOpenResponse(environmentID: String, enabled: Bool) async throws
    /// Sets how many days events and devices are kept (0: forever).
    func setRetention(environmentID: String, days: Int) async throws

    // MARK: encryption keys (sealed client results)
    func encryptionKeys(environmentID: String) async throws -> [EncryptionKeyRecord]
    /// Inserts or updates the records in one transaction, deactivations
    /// first; the store refuses a second active key in an environment
    /// (`StoreError.conflict`).
    func saveEncryptionKeys(_ keys: [EncryptionKeyRecord]) async throws
    func deleteEncryptionKey(id: String) async throws
    /// Adds to the keys' seal counters.
    func addSealCounts(_ counts: [String: Int64]) async throws

    // MARK: keys
    func insertKey(_ key: KeyRecord) async throws
    func key(publicValue: String) async throws -> KeyRecord?
    func key(secretHash: String) async throws -> KeyRecord?
    func keys(environmentID: String?, kind: KeyKind) async throws -> [KeyRecord]
    func revokeKey(id: String, at: Int64) async throws -> Bool

    // MARK: events and visitors
    /// Writes the event and the visitor's new state in one transaction; `joined` is a visitor this
    /// visit joined into `visitor` (its new state, which leads to `visitor`: only its profile changes).
    func recordEvent(_ event: StoredEvent, visitor: VisitorRecord, joined: VisitorRecord?) async throws
    /// The event if it exists in `environmentID` (nil: any environment).
    func event(id: String, environmentID: String?) async throws -> StoredEvent?
    func visitor(id: String, environmentID: String) async throws -> VisitorRecord?
    func eventCount(environmentID: String?) async throws -> Int
    /// Up to `query.limit` events, in the query's order, after its cursor (keyset: page 1000 costs what page 1 costs).
    func searchEvents(_ query: EventQuery) async throws -> [StoredEvent]
    /// How many events match the query (cursor and limit ignored), counting at most `cap`.
    func countEvents(_ query: EventQuery, cap: Int) async throws -> Int
    /// Replaces an event's document and its searchable columns; false when it does not exist there.
    func updateEvent(id: String, environmentID: String?, document: [UInt8], linkedID: String?, suspect: Bool) async throws -> Bool
    /// Erases the visitors' events and rows (one transaction); the number of events erased, nil if none of them existed.
    func deleteVisitors(ids: [String], environmentID: String) async throws -> Int?
    /// Every visitor of the environment, to rebuild the identification index at start.
    func visitors(environmentID: String) async throws -> [VisitorRecord]

    // MARK: several instances on one database
    /// Whether other processes may write to this store at the same time (PostgreSQL behind a load
    /// balancer). An instance then follows `visitorChanges` to keep its identification index in step.
    var sharedByInstances: Bool { get }
    /// Where the change feed stands now. Taken before `visitors(environmentID:)` at start, so that
    /// every change committed after that read is seen again through `visitorChanges`.
    func visitorChangeCursor(environmentID: String) async throws -> VisitorChangeCursor
    /// Visitor rows written and visitors erased by any process after `cursor`, committed changes only,
    /// oldest first, at most `limit` rows; pass the returned cursor next time. A change may be
    /// reported more than once (callers apply them idempotently) but none is skipped, even when
    /// transactions commit out of the order they started in.
    func visitorChanges(environmentID: String, after cursor: VisitorChangeCursor, limit: Int) async throws
        -> VisitorChanges
}

/// A position in a store's feed of visitor changes; opaque to callers.
public struct VisitorChangeCursor: Sendable, Equatable {
    public var position: Int64
    public var visitorID: String

    public init(position: Int64, visitorID: String = "") {
        self.position = position
        self.visitorID = visitorID
    }
}

public struct VisitorChanges: Sendable {
    /// Visitors whose row was written, in their stored state.
    public var visitors: [VisitorRecord]
    /// Visitors erased (their rows and events are gone).
    public var erased: [String]
    public var cursor: VisitorChangeCursor
    /// True when the limit cut the answer short: ask again at once.
    public var more: Bool

    public init(visitors: [VisitorRecord], erased: [String], cursor: VisitorChangeCursor, more: Bool) {
        self.visitors = visitors
        self.erased = erased
        self.cursor = cursor
        self.more = more
    }
}

extension ArgusStore {
    public func maintain() async throws {}
    public func close() async {}

    /// A store only one process writes (the embedded SQLite file) has no feed to follow.
    public var sharedByInstances: Bool { false }
    public func visitorChangeCursor(environmentID: String) async throws -> VisitorChangeCursor {
        VisitorChangeCursor(position: 0)
    }
    public func visitorChanges(environmentID: String, after cursor: VisitorChangeCursor, limit: Int) async throws
        -> VisitorChanges
    {
        VisitorChanges(visitors: [], erased: [], cursor: cursor, more: false)
    }

    /// Writes the event and the visitor's new state in one transaction.
    public func recordEvent(_ event: StoredEvent, visitor: VisitorRecord) async throws {
        try await recordEvent(event, visitor: visitor, joined: nil)
    }
}
