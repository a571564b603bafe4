import ArgusCore

/// The Device API's storage (spec §6): a per-device aggregate kept up to date
/// with every recorded event, keyset-paginated device lists, and the
/// retention job's batched purges. `ArgusStore` inherits it.
public protocol DeviceStore: Sendable {
    /// The device (= visitor) if it exists in `environmentID` (nil: any environment).
    func device(id: String, environmentID: String?) async throws -> DeviceRecord?
    /// Up to `query.limit` devices in the query's order, after its cursor.
    func devices(_ query: DeviceQuery) async throws -> [DeviceRecord]
    /// Deletes up to `limit` events of the environment older than `before` (ms); the number deleted.
    func purgeEvents(environmentID: String, before: Int64, limit: Int) async throws -> Int
    /// Up to `limit` ids of the environment's devices last seen before `before` (ms).
    func expiredDevices(environmentID: String, before: Int64, limit: Int) async throws -> [String]
    /// Deletes those of the devices (and their visitor rows and events) still last seen before `before`; the number deleted.
    func purgeDevices(ids: [String], environmentID: String, before: Int64) async throws -> Int
}

/// What the Device API serves about one device: the aggregate of its events.
/// Score, flags, country and city are those of its latest event.
public struct DeviceRecord: Sendable, Equatable {
    public var environmentID: String
    public var id: String
    public var createdAt: Int64
    public var lastSeenAt: Int64
    /// Every identification submits the full set of components, so this is the latest event's time.
    public var lastSubmittedAt: Int64
    public var risk: RiskSummary
    public var country: String?
    public var city: String?

    public init(
        environmentID: String, id: String, createdAt: Int64, lastSeenAt: Int64, lastSubmittedAt: Int64, risk: RiskSummary,
        country: String?, city: String?
    ) {
        self.environmentID = environmentID
        self.id = id
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.lastSubmittedAt = lastSubmittedAt
        self.risk = risk
        self.country = country
        self.city = city
    }
}

/// A device list or export: filters, order, keyset cursor.
public struct DeviceQuery: Sendable, Equatable {
    public enum SortField: String, Sendable, CaseIterable {
        case lastSeenAt, score
    }

    /// nil: every environment (a workspace key).
    public var environmentID: String?
    /// Any of these levels (empty: all).
    public var levels: [RiskLevel]
    /// Devices whose latest event raised this flag.
    public var flag: String?
    public var country: String?
    /// Inclusive bounds on `lastSeenAt` (ms).
    public var seenSince: Int64?
    public var seenUntil: Int64?
    public var sort: SortField
    public var descending: Bool
    public var limit: Int
    public var after: DeviceCursor?

    public init(
        environmentID: String?, levels: [RiskLevel] = [], flag: String? = nil, country: String? = nil, seenSince: Int64? = nil,
        seenUntil: Int64? = nil, sort: SortField = .lastSeenAt, descending: Bool = true, limit: Int = 50,
        after: DeviceCursor? = nil
    ) {
        self.environmentID = environmentID
        self.levels = levels
        self.flag = flag
        self.country = country
        self.seenSince = seenSince
        self.seenUntil = seenUntil
        self.sort = sort
        self.descending = descending
        self.limit = limit
        self.after = after
    }

    /// `flag` as a `LIKE … ESCAPE '\'` pattern over the stored `,flag,flag,` list (both stores):
    /// the flag between commas, with the pattern's own characters escaped.
    public var flagPattern: String? {
        flag.map {
            "%," + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + ",%"
        }
    }
}

/// The last row of a page: (environment, sort value, id), the order's full key.
public struct DeviceCursor: Sendable, Equatable {
    public var environmentID: String
    public var value: Int64
    public var id: String

    public init(environmentID: String, value: Int64, id: String) {
        self.environmentID = environmentID
        self.value = value
        self.id = id
    }

    public init(_ d: DeviceRecord, sort: DeviceQuery.SortField) {
        self.init(environmentID: d.environmentID, value: sort == .score ? Int64(d.risk.score) : d.lastSeenAt, id: d.id)
    }
}

extension RiskLevel {
    /// The scores of the level (spec §6 table).
    public var scoreRange: ClosedRange<Int> {
        switch self {
        case .minimal: return 0...19
        case .low: return 20...39
        case .medium: return 40...59
        case .high: return 60...79
        case .critical: return 80...100
        }
    }
}

extension RiskSummary {
    /// Flags as stored in one text column: `,a,b,` (empty: none), so that `LIKE '%,flag,%'` finds one.
    public var storedFlags: String { flags.isEmpty ? "" : "," + flags.joined(separator: ",") + "," }

    public init(score: Int, storedFlags: String) {
        self.init(score: score, flags: storedFlags.split(separator: ",").map(String.init))
    }
}
