import ArgusCore
import ArgusStorage

/// One visit to identify: what the agent sent and where it came from.
public struct Visit: Sendable {
    public var environmentID: String
    public var request: IdentifyRequest
    /// The token's contents when its signature is valid (the environment is not checked yet).
    public var token: VisitorToken?
    public var clientIP: String
    public var timestampMs: Int64

    public init(environmentID: String, request: IdentifyRequest, token: VisitorToken?, clientIP: String, timestampMs: Int64) {
        self.environmentID = environmentID
        self.request = request
        self.token = token
        self.clientIP = clientIP
        self.timestampMs = timestampMs
    }
}

/// The identifier's answer for a visit.
public struct Resolution: Sendable {
    public var visitorID: String
    public var visitorFound: Bool
    /// Probability that `visitorID` is the right id.
    public var confidence: Double
    public var firstSeenAt: Int64
    /// The previous visit's time; the visit's own time for a new visitor.
    public var lastSeenAt: Int64
    /// A valid token named a visitor whose device does not fit these components.
    public var tokenMismatch: Bool
    /// The browser storage the new token names.
    public var instance: UInt64
    /// The visitor's state to store with the event.
    public var visitor: VisitorRecord
    /// A visitor this visit joined into `visitor` (its new state, leading there), stored with the event.
    public var joined: VisitorRecord?
    /// Known visitors that look exactly like this device, and all known visitors (rarity).
    public var lookPopulation: (same: Int, total: Int)?

    public init(
        visitorID: String, visitorFound: Bool, confidence: Double, firstSeenAt: Int64, lastSeenAt: Int64,
        tokenMismatch: Bool, instance: UInt64, visitor: VisitorRecord
    ) {
        self.instance = instance
        self.visitorID = visitorID
        self.visitorFound = visitorFound
        self.confidence = confidence
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.tokenMismatch = tokenMismatch
        self.visitor = visitor
    }
}

/// Links visits to visitors. Swappable: the app depends on this protocol only.
public protocol VisitorIdentifier: Sendable {
    func resolve(_ visit: Visit) async throws -> Resolution
    /// Prepares whatever the identifier keeps in memory (called before the server listens).
    func warmUp() async throws
    /// Forgets a visitor (erasure) and every visitor joined into it; returns all their ids.
    func erase(visitorID: String, environmentID: String) async throws -> [String]
    /// Takes in what other instances sharing the store wrote since the last call (several
    /// instances on one database); called every few hundred milliseconds by `VisitorChangeFollower`.
    func followChanges() async throws
}

extension VisitorIdentifier {
    public func followChanges() async throws {}
}
