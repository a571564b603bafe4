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
    /// The best and second-best candidate scores (explanations and tuning).
    public var topScores: [Double] = []
    /// What the decision between the best candidate and a new visitor was based on.
    public var features: DecisionFeatures?
    /// The best candidate, whether or not it was chosen.
    public var topCandidate: String?
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
    public var model: DecisionModel

    /// Token-based answers: right unless an earlier decision was wrong.
    public static let tokenConfidence = 0.99
    /// A token whose device drifted this much (score) is flagged as possibly copied.
    public static let tokenDoubtScore = -7.0

    /// A new visitor with no candidate at all: nothing known resembles it.
    public static let unmatchedConfidence = 0.99

    public init(weights: Weights = Weights(), model: DecisionModel = DecisionModel()) {
        self.weights = weights
        self.model = model
    }

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
        var best: (match: Similarity.Match, profile: Profile)?
        var scores: [Double] = []
        scores.reserveCapacity(candidates.count)
        for p in candidates {
            guard let m = Similarity.evaluate(o, p, weights) else { continue }
            scores.append(m.score)
            if best == nil || m.score > best!.match.score { best = (m, p) }
        }
        scores.sort(by: >)
        let topScores = Array(scores.prefix(2))
        var features: DecisionFeatures?
        if let best {
            let f = DecisionFeatures(
                top: best.match.score, gap: scores.count > 1 ? scores[0] - scores[1] : DecisionFeatures.maxGap,
                rivals: scores.dropFirst().count { $0 >= scores[0] - 1 }, address: best.match.address,
                drift: best.match.drift, twins: index.lookCount(o.look) - (best.profile.look == o.look ? 1 : 0),
                exact: best.profile.look == o.look,
                model: index.hardwareCount(o.hardware), crowd: index.addressCount(o.ip), webkit: o.engine == .webkit,
                privateMode: o.looksPrivate, cookiesDisabled: o.cookiesDisabled)
            features = f
            let probability = model.probability(f)
            if probability > model.threshold {
                var p = best.profile
                let last = p.lastSeenAt
                p.absorb(o, at: time)
                index.upsert(p)
                return Decision(
                    visitorID: p.visitorID, basis: .fingerprint, visitorFound: true, confidence: probability,
                    firstSeenAt: p.firstSeenAt, lastSeenAt: last, tokenMismatch: tokenMismatch,
                    candidates: candidates.count, topScores: topScores, features: f, topCandidate: p.visitorID, profile: p)
            }
        }

        let p = Profile(visitorID: newVisitorID(), observation: o, at: time)
        index.upsert(p)
        return Decision(
            visitorID: p.visitorID, basis: .new, visitorFound: false,
            confidence: features.map { 1 - model.probability($0) } ?? Self.unmatchedConfidence,
            firstSeenAt: time, lastSeenAt: time, tokenMismatch: tokenMismatch, candidates: candidates.count,
            topScores: topScores, features: features, topCandidate: best?.profile.visitorID, profile: p)
    }
}
