import ArgusCore
import ArgusStorage

/// The walking skeleton's identifier: a valid token of this environment whose
/// visitor exists wins; otherwise an exact match of the stable-component hash;
/// otherwise a new visitor.
public struct ExactMatchIdentifier: VisitorIdentifier {
    let store: any ArgusStore

    public init(store: any ArgusStore) { self.store = store }

    public func resolve(_ visit: Visit) async throws -> Resolution {
        let hash = StableFingerprint.hash(visit.request.components)
        let now = visit.timestampMs
        if let token = visit.token, token.environmentID == visit.environmentID,
            let known = try await store.visitor(id: token.visitorID, environmentID: visit.environmentID)
        {
            let fits = known.fingerprintHash == hash
            return found(known, hash: hash, now: now, confidence: fits ? 0.99 : 0.9, tokenMismatch: false)
        }
        if let known = try await store.visitor(fingerprintHash: hash, environmentID: visit.environmentID) {
            return found(known, hash: hash, now: now, confidence: 0.8, tokenMismatch: false)
        }
        let id = Identifiers.visitorID()
        let record = VisitorRecord(
            environmentID: visit.environmentID, id: id, firstSeenAt: now, lastSeenAt: now, eventCount: 1, fingerprintHash: hash)
        return Resolution(
            visitorID: id, visitorFound: false, confidence: 0.95, firstSeenAt: now, lastSeenAt: now, tokenMismatch: false,
            visitor: record)
    }

    func found(_ known: VisitorRecord, hash: String, now: Int64, confidence: Double, tokenMismatch: Bool) -> Resolution {
        var record = known
        record.lastSeenAt = max(known.lastSeenAt, now)
        record.eventCount += 1
        record.fingerprintHash = hash
        return Resolution(
            visitorID: known.id, visitorFound: true, confidence: confidence, firstSeenAt: known.firstSeenAt,
            lastSeenAt: known.lastSeenAt, tokenMismatch: tokenMismatch, visitor: record)
    }
}
