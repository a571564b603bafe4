import Foundation

/// The engine's answer for one visit.
public struct Decision: Sendable, Equatable {
    public enum Basis: String, Sendable {
        /// The visit's token named a visitor whose device fits.
        case token
        /// No usable token: the fingerprint matched one known visitor clearly.
        case fingerprint
        /// Nobody matched clearly: a new visitor.
        case new
    }

    public var visitorID: String
    public var basis: Basis
    public var visitorFound: Bool
    /// Probability that `visitorID` is right.
    public var confidence: Double
    public var firstSeenAt: Int64
    /// The visitor's previous visit; this visit's time for a new visitor.
    public var lastSeenAt: Int64
    /// A valid token was presented with a device that does not fit its visitor (copied token).
    public var tokenMismatch: Bool
    /// How many known visitors were compared.
    public var candidates: Int
    /// The profile after this visit (to persist with the event).
    public var profile: Profile
}

/// Links visits to visitors: the token when it fits the device, otherwise
/// the one known visitor the fingerprint and network clearly point to,
/// otherwise a new visitor. When several known visitors fit about equally
/// well (identical devices behind one address) it does not guess: a false
/// merge hands one person's identity to another, a split only costs continuity.
/// Pure: no I/O, deterministic given the visitor ids it is handed.
public struct IdentificationEngine: Sendable {
    public private(set) var index = VisitorIndex()
    public var weights: Weights

    /// Token-based answers: right unless an earlier decision was wrong.
    public static let tokenConfidence = 0.99
    /// A token whose device drifted this much (score) is flagged as possibly copied.
    public static let tokenDoubtScore = -7.0

    public init(weights: Weights = Weights()) { self.weights = weights }

    public mutating func load(_ profile: Profile) { index.upsert(profile) }

    @discardableResult
    public mutating func forget(_ visitorID: String) -> Bool { index.remove(visitorID) }

    /// Decides who the visit is and folds it into that visitor's profile.
    public mutating func identify(
        _ o: Observation, tokenVisitorID: String?, at time: Int64, newVisitorID: () -> String
    ) -> Decision {
        var tokenMismatch = false
        if let id = tokenVisitorID, var p = index.profile(id) {
            if let s = Similarity.score(o, p, weights) {
                let doubtful = s < Self.tokenDoubtScore
                let last = p.lastSeenAt
                p.absorb(o, at: time)
                index.upsert(p)
                return Decision(
                    visitorID: id, basis: .token, visitorFound: true, confidence: doubtful ? 0.7 : Self.tokenConfidence,
                    firstSeenAt: p.firstSeenAt, lastSeenAt: last, tokenMismatch: doubtful, candidates: 1, profile: p)
            }
            tokenMismatch = true  // another device's token: identify by fingerprint instead
        }

        let candidates = index.candidates(for: o)
        var scored: [(score: Double, profile: Profile)] = []
        scored.reserveCapacity(candidates.count)
        for p in candidates {
            if let s = Similarity.score(o, p, weights) { scored.append((s, p)) }
        }
        let prior = weights.newVisitorPrior
        let top = scored.max { $0.score < $1.score }
        let ceiling = max(prior, top?.score ?? prior)
        let total = exp(prior - ceiling) + scored.reduce(0) { $0 + exp($1.score - ceiling) }

        if let top, exp(top.score - ceiling) / total > 0.5 {
            var p = top.profile
            let last = p.lastSeenAt
            p.absorb(o, at: time)
            index.upsert(p)
            return Decision(
                visitorID: p.visitorID, basis: .fingerprint, visitorFound: true,
                confidence: exp(top.score - ceiling) / total, firstSeenAt: p.firstSeenAt, lastSeenAt: last,
                tokenMismatch: tokenMismatch, candidates: candidates.count, profile: p)
        }

        let p = Profile(visitorID: newVisitorID(), observation: o, at: time)
        index.upsert(p)
        return Decision(
            visitorID: p.visitorID, basis: .new, visitorFound: false, confidence: exp(prior - ceiling) / total,
            firstSeenAt: time, lastSeenAt: time, tokenMismatch: tokenMismatch, candidates: candidates.count, profile: p)
    }
}
