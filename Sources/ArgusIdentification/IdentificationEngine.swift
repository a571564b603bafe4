import Foundation

/// What a valid token says: the visitor it was issued for and the browser
/// storage ("instance") that holds it.
public struct TokenClaim: Sendable, Equatable {
    public var visitorID: String
    public var instance: UInt64

    public init(visitorID: String, instance: UInt64) {
        self.visitorID = visitorID
        self.instance = instance
    }
}

/// The engine's answer for one visit.
public struct Decision: Sendable, Equatable {
    public enum Basis: String, Sendable {
        /// The visit's token named a visitor whose device fits.
        case token
        /// No usable token: the fingerprint matched one known visitor clearly.
        case fingerprint
        /// Nobody matched clearly: a new visitor.
        case new
        /// The token named a visitor created on a close call, now joined into the visitor it turned out to be.
        case joined
    }

    public var visitorID: String
    public var basis: Basis
    public var visitorFound: Bool
    /// Probability that `visitorID` is right (calibrated, see `DecisionModel.calibration`).
    public var confidence: Double
    public var firstSeenAt: Int64
    /// The visitor's previous visit; this visit's time for a new visitor.
    public var lastSeenAt: Int64
    /// A valid token was presented with a device that does not fit its visitor (copied token).
    public var tokenMismatch: Bool
    /// The browser storage to name in the new token.
    public var instance: UInt64
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
    /// A provisional visitor this visit joined into `profile` (to persist too).
    public var joined: Profile? = nil
    /// The silent rival a provisional visitor was weighed against, joined or not (tuning).
    public var joinTrial: JoinTrial? = nil
    /// Every close candidate the model weighed for the best (tuning and fitting).
    public var weighed: [CandidateTrial] = []
}

/// A close candidate judged as if it were the best (`IdentificationEngine.identify`).
public struct CandidateTrial: Sendable, Equatable {
    public var visitorID: String
    public var features: DecisionFeatures
    public var probability: Double
}

/// A provisional visitor weighed against its silent rival (`IdentificationEngine.settleProvisional`).
public struct JoinTrial: Sendable, Equatable {
    public var rival: String
    public var features: JoinFeatures
    public var probability: Double
}

/// Links visits to visitors: the token when it fits the device, otherwise
/// the one known visitor the fingerprint and network clearly point to,
/// otherwise a new visitor. When several known visitors fit about equally
/// well (identical devices behind one address) it does not guess: a false
/// merge hands one person's identity to another, a split only costs continuity.
///
/// Every token also names its browser storage (an instance). A visitor
/// reached by fingerprint gets the browser's new instance attached; if the
/// visitor's earlier instance shows up again afterwards, two browsers hold
/// the visitor at once, so the later attachment was a false merge: that
/// browser is identified afresh at its next visit, without this visitor.
/// Pure: no I/O, deterministic given the ids it is handed.
public struct IdentificationEngine: Sendable {
    public private(set) var index = VisitorIndex()
    public var weights: Weights
    public var model: DecisionModel
    /// This environment's fingerprint merges and how many were proven wrong (`MatchPolicy.auto`).
    public private(set) var evidence = FleetEvidence()

    /// A token whose device drifted this much (score) is flagged as possibly copied.
    public static let tokenDoubtScore = -7.0
    /// The raw confidence of a token flagged as possibly copied, before calibration.
    public static let doubtfulTokenConfidence = 0.7

    public init(weights: Weights = Weights(), model: DecisionModel = DecisionModel()) {
        self.weights = weights
        self.model = model
    }

    public mutating func load(_ profile: Profile) {
        evidence.count(profile)
        index.upsert(profile)
    }

    /// A visitor's state as another instance sharing the database stored it. Taken when it is
    /// ahead of what this index holds — more visits, a later visit, or a join this index has not
    /// seen — and ignored otherwise (this instance's own writes come back through the same feed).
    /// Returns whether it was taken.
    @discardableResult
    public mutating func apply(stored profile: Profile) -> Bool {
        if let local = index.profile(profile.visitorID) {
            guard Self.isAhead(profile, of: local) else { return false }
            evidence.uncount(local)
        }
        evidence.count(profile)
        index.upsert(profile)
        return true
    }

    static func isAhead(_ stored: Profile, of local: Profile) -> Bool {
        if stored.eventCount != local.eventCount { return stored.eventCount > local.eventCount }
        if stored.lastSeenAt != local.lastSeenAt { return stored.lastSeenAt > local.lastSeenAt }
        return stored.mergedInto != nil && local.mergedInto == nil
    }

    /// The profile a visitor id leads to, following joins.
    func resolveAlias(_ visitorID: String) -> Profile? {
        var p = index.profile(visitorID)
        var hops = 0
        while let target = p?.mergedInto, hops < 8, let next = index.profile(target) {
            p = next
            hops += 1
        }
        return p
    }

    /// A visit of a visitor created on a close call (by its token, or by fingerprint).
    /// Rivals seen since it was created are other browsers (dropped); a rival that is itself
    /// a close call of another listed rival stands for it. If the silent rival this visit
    /// points to is now likely enough this browser (`DecisionModel.joinProbability`), the
    /// visitor is joined into it. Every rival weighed is reported in `weighed`.
    mutating func settleProvisional(
        _ p: inout Profile, _ o: Observation, instance: UInt64, at time: Int64, weighed: inout JoinTrial?
    ) -> Decision? {
        p.provisional.removeAll { id in
            guard let rival = index.profile(id), rival.isCandidate else { return true }
            return rival.lastSeenAt >= p.firstSeenAt  // alive elsewhere since (or in the same instant: unknown order)
        }
        let listed = p.provisional
        let roots = listed.filter { id in !(index.profile(id)?.provisional.contains { listed.contains($0) } ?? false) }
        var best: (rival: Profile, features: JoinFeatures, probability: Double)?
        for id in roots {
            guard let rival = index.profile(id), let m = Similarity.evaluate(o, rival, weights) else { continue }
            let f = JoinFeatures(
                closeCall: p.closeCall, address: m.address, drift: m.drift, visits: Int(p.eventCount),
                sharedAddress: p.ips.contains { rival.ips.contains($0) }, exact: rival.look == o.look,
                twins: max(0, index.lookCount(o.look) - (rival.look == o.look ? 1 : 0) - (p.look == o.look ? 1 : 0)),
                crowd: index.addressCount(o.ip), webkit: o.engine == .webkit, others: roots.count - 1,
                silence: rival.silence(at: time),
                contenders: index.claimants(of: rival.visitorID, except: p.visitorID),
                silenceOnce: rival.eventCount == 1 ? index.silenceAtTheUsualRate(since: rival.lastSeenAt, at: time) : 0)
            let probability = model.joinProbability(f)
            if probability > best?.probability ?? -1 { best = (rival, f, probability) }
        }
        guard let best else { return nil }
        weighed = JoinTrial(rival: best.rival.visitorID, features: best.features, probability: best.probability)
        guard best.probability > model.joinThreshold else { return nil }
        var rival = best.rival
        let last = rival.lastSeenAt
        for i in p.instances { rival.attachInstance(i.id, privateVisit: i.privateVisit) }
        rival.attachInstance(instance, privateVisit: o.looksPrivate)
        // Browsers attached on fingerprint evidence too: counted like a merge's (and so recounted at load).
        let joining = Set(p.instances.filter { !$0.privateVisit }.map(\.id) + (o.looksPrivate ? [] : [instance]))
        evidence.attachments += joining.count
        rival.absorb(o, at: time)
        p.mergedInto = rival.visitorID
        p.provisional = []
        index.upsert(p)
        index.upsert(rival)
        return Decision(
            visitorID: rival.visitorID, basis: .joined, visitorFound: true, confidence: model.calibrated(best.probability),
            firstSeenAt: rival.firstSeenAt, lastSeenAt: last, tokenMismatch: false, instance: instance, candidates: 1,
            topCandidate: rival.visitorID, profile: rival, joined: p, joinTrial: weighed)
    }

    @discardableResult
    public mutating func forget(_ visitorID: String) -> Bool { index.remove(visitorID) }

    /// Erases a visitor and every visitor joined into it; returns all their ids.
    public mutating func erase(_ visitorID: String) -> [String] {
        let ids = [visitorID] + index.aliases(of: visitorID)
        for id in ids { index.remove(id) }
        return ids
    }

    /// A browser first met in private browsing, now seen outside it: its private visit made a
    /// visitor that fingerprint matching never offers (a private visit's storage and renderings
    /// say little), so an ordinary visit would get a new id, and the browser would never again
    /// carry the id it was first given. The browser takes that id back when
    /// - no ordinary visitor with this hardware has been seen at this address (it would be
    ///   the likelier owner of the private visit), and exactly one such private-only visitor
    ///   was last seen here, whose record fits;
    /// - the browser is not WebKit (its private mode randomises the renderings: too little is
    ///   left to tell identical phones apart);
    /// - and, under the `fleet` policy only, the browser came from the very page that visitor was
    ///   last on: there every address may hold identical machines, and the private visit may as
    ///   well have been another machine's, whose first visit this is. Elsewhere that happens too
    ///   (an office's first two machines seen, one in a private window), but rarely: on the
    ///   evaluator's populations 171 of 178 such adoptions were the very browser (docs/identification.md).
    mutating func adoptPrivateOnly(_ o: Observation, instance: UInt64, at time: Int64, tokenMismatch: Bool) -> Decision? {
        guard let (host, match) = privateOnlyHere(o), model.policy != .fleet || match.navigation == 1 else { return nil }
        var p = host
        return adopt(&p, o, instance: instance, at: time, tokenMismatch: tokenMismatch, confidence: Self.adoptionConfidence)
    }

    /// The one private-only visitor last seen at this visit's address on its hardware, outside
    /// WebKit, when its record fits (`adoptPrivateOnly`, `privateAgain`). The caller has checked
    /// that no ordinary candidate was seen here.
    private func privateOnlyHere(_ o: Observation) -> (Profile, Similarity.Match)? {
        guard o.engine != .webkit else { return nil }
        let hosts = index.privateOnlyVisitors(at: o.ip, hardware: o.hardware)
        guard hosts.count == 1 else { return nil }
        let p = index.profile(atSlot: hosts[0])
        guard let match = Similarity.evaluate(o, p, weights) else { return nil }
        return (p, match)
    }

    /// The same for a browser whose private visit showed exactly this look (outside WebKit, a
    /// private window renders as the browser does; only its storage differs), seen on the
    /// network (IPv4 /22, IPv6 /64) of an address that private visitor used, when
    /// - no ordinary visitor shows this look (an identical machine seen outside private
    ///   browsing may as well have made the private visit) and exactly one private-only visitor does;
    /// - and the visit comes from another address of that network than the private visitor's own
    ///   (a carrier pool, a new lease), not crowded (at most `VisitorIndex.householdLimit`
    ///   browsers) and not under the `fleet` policy; or the browser came from that visitor's last
    ///   page. At the private visit's own address an identical machine of the same household or
    ///   office is likelier: there `adoptPrivateOnly` decides (adopting by look there too, 6 of
    ///   82 adoptions in replays went to another machine's first visit, against 2 of 90 here).
    mutating func adoptPrivateOnlyByLook(_ o: Observation, instance: UInt64, at time: Int64, tokenMismatch: Bool) -> Decision? {
        guard o.engine != .webkit, index.lookCount(o.look) == 0 else { return nil }
        let hosts = index.privateOnlyVisitors(look: o.look, hardware: o.hardware)
        guard hosts.count == 1 else { return nil }
        var p = index.profile(atSlot: hosts[0])
        guard let match = Similarity.evaluate(o, p, weights), match.address >= 1 else { return nil }
        let open = model.policy != .fleet && match.address == 1 && index.addressCount(o.ip) <= VisitorIndex.householdLimit
        guard open || match.navigation == 1 else { return nil }
        return adopt(&p, o, instance: instance, at: time, tokenMismatch: tokenMismatch, confidence: Self.lookAdoptionConfidence)
    }

    /// Another private visit of a browser met only in private browsing: fingerprint matching
    /// never offers a private-only visitor, so each private visit would make one more, and the
    /// browser's first ordinary visit would then find two and take neither (`adoptPrivateOnly`).
    /// The visit is that visitor's when, as for an adoption at its address, no ordinary visitor
    /// with this hardware was seen here and exactly one private-only visitor was last seen here,
    /// outside WebKit and the `fleet` policy, and it shows exactly the same look.
    mutating func privateAgain(_ o: Observation, instance: UInt64, at time: Int64, tokenMismatch: Bool) -> Decision? {
        guard model.policy != .fleet, let (host, _) = privateOnlyHere(o), host.look == o.look else { return nil }
        var p = host
        return adopt(&p, o, instance: instance, at: time, tokenMismatch: tokenMismatch, confidence: Self.adoptionConfidence)
    }

    /// A private-only visitor takes this visit: an ordinary one makes it the ordinary browser
    /// the visit shows; another private one leaves it private-only (and, as at any private
    /// visit, counts no attachment for `FleetEvidence`).
    private mutating func adopt(
        _ p: inout Profile, _ o: Observation, instance: UInt64, at time: Int64, tokenMismatch: Bool, confidence: Double
    ) -> Decision {
        let last = p.lastSeenAt
        if !o.looksPrivate { evidence.attachments += 1 }
        p.attachInstance(instance, privateVisit: o.looksPrivate)
        p.absorb(o, at: time)
        if !o.looksPrivate { p.ephemeral = false }
        index.upsert(p)
        return Decision(
            visitorID: p.visitorID, basis: .fingerprint, visitorFound: true, confidence: confidence,
            firstSeenAt: p.firstSeenAt, lastSeenAt: last, tokenMismatch: tokenMismatch, instance: instance, candidates: 1,
            topCandidate: p.visitorID, profile: p)
    }

    /// Adoptions (`adoptPrivateOnly`) were the very browser 77 times out of 77 on the evaluator's
    /// default population, seeds 1–6 (tools/replay.py), when they also needed a household or a
    /// navigation; without that condition, adoptions of both kinds (this and by look) were right
    /// 514 times of 525 (0.979; default seeds 1–12, small, households only and 40 % offices seeds
    /// 1–6, the workers' order 1). Reported a little lower.
    public static let adoptionConfidence = 0.97
    /// Adoptions by look (`adoptPrivateOnlyByLook`) were the very browser 88 times out of 90
    /// on the evaluator's populations (default seeds 1–12; small, households only and 40 %
    /// offices, seeds 1–6; the eight workers' order).
    public static let lookAdoptionConfidence = 0.97

    /// What the decision features take from the visit and the environment, the same for every
    /// candidate weighed at one visit (`decisionFeatures`).
    struct VisitContext {
        var looks: Int
        var hardware: Int
        var crowd: Int
        var maturity: Double
        var fleetEvidence: Bool
        /// When the environment's history starts (capped at the visit's time).
        var since: Int64

        init(_ o: Observation, index: VisitorIndex, model: DecisionModel, evidence: FleetEvidence, at time: Int64) {
            looks = index.lookCount(o.look)
            hardware = index.hardwareCount(o.hardware)
            crowd = index.addressCount(o.ip)
            maturity = DecisionFeatures.maturity(visits: index.visits, visitors: index.count)
            fleetEvidence = model.adaptive && evidence.showsFleets
            since = min(index.firstSeen, time)
        }
    }

    /// What the model weighs for one candidate as the visit's best: its score against the best
    /// of the others (`rank` is its place in `scores`, best first; `other` that one's address
    /// level and look), its address and drift, and what the index knows of it; the visit's and
    /// the environment's part comes from `visit`.
    func decisionFeatures(
        _ o: Observation, _ visit: VisitContext, _ m: Similarity.Match, _ p: Profile,
        other: (address: Int, look: UInt64)?, scores: [Double], rank: Int, at time: Int64
    ) -> DecisionFeatures {
        let bestOther = rank == 0 ? scores.dropFirst().first : scores.first
        var rivals = 0
        for (i, score) in scores.enumerated() where i != rank && score >= m.score - 1 { rivals += 1 }
        var f = DecisionFeatures(
            top: m.score, gap: bestOther.map { m.score - $0 } ?? DecisionFeatures.maxGap, rivals: rivals,
            address: m.address, drift: m.drift, twins: visit.looks - (p.look == o.look ? 1 : 0),
            exact: p.look == o.look, model: visit.hardware, crowd: visit.crowd,
            webkit: o.engine == .webkit, privateMode: o.looksPrivate, cookiesDisabled: o.cookiesDisabled,
            navigation: m.navigation, cameFromSite: o.cameFrom != 0,
            silenceDays: Double(max(0, time - p.lastSeenAt)) / 86_400_000, silence: p.silence(at: time),
            claimed: index.claimants(of: p.visitorID), maturity: visit.maturity, fleetEvidence: visit.fleetEvidence)
        let quiet = Double(max(0, time - p.lastSeenAt))
        f.quietShare = min(1, quiet / Double(max(1, time - visit.since)))
        f.silenceUsual = index.silenceAtTheUsualRate(since: p.lastSeenAt, at: time)
        f.visits = p.eventCount
        f.addresses = p.ips.count
        f.instances = p.instances.count
        f.secondAddress = other?.address ?? 0
        f.secondExact = other.map { $0.look == o.look } ?? false
        f.roams = o.roams
        return f
    }

    /// Decides who the visit is and folds it into that visitor's profile.
    public mutating func identify(
        _ observation: Observation, token: TokenClaim?, at time: Int64, newVisitorID: () -> String, newInstance: () -> UInt64
    ) -> Decision {
        var o = observation
        o.formerAddresses = index.formerAddresses(of: o.ip)
        var tokenMismatch = false
        var excluded: String?
        if let token, var p = resolveAlias(token.visitorID) {
            if p.evicted.contains(token.instance) {
                excluded = token.visitorID  // a browser found to be another than this visitor
            } else if let s = Similarity.score(o, p, weights) {
                let doubtful = s < Self.tokenDoubtScore
                var trial: JoinTrial?
                if !p.provisional.isEmpty,
                    let joined = settleProvisional(&p, o, instance: token.instance, at: time, weighed: &trial)
                {
                    return joined
                }
                let last = p.lastSeenAt
                let from = p.ips.last
                evidence.evictions += p.sawInstance(token.instance, privateVisit: o.looksPrivate)
                p.absorb(o, at: time)
                if let from, from != o.ip, !o.roams, !doubtful {
                    p.move = Profile.AddressMove(from: from, to: o.ip, at: time)  // the index learns it in upsert
                }
                index.upsert(p)
                return Decision(
                    visitorID: p.visitorID, basis: .token, visitorFound: true,
                    confidence: doubtful ? model.calibrated(Self.doubtfulTokenConfidence) : model.tokenConfidence, firstSeenAt: p.firstSeenAt, lastSeenAt: last,
                    tokenMismatch: doubtful, instance: token.instance, candidates: 1, profile: p, joinTrial: trial)
            } else {
                tokenMismatch = true  // another device's token: identify by fingerprint instead
            }
        }
        // A browser keeps its storage instance even when its visitor changes.
        let instance = excluded != nil ? token!.instance : newInstance()

        let evaluated = index.evaluateCandidates(for: o, excluding: excluded, weights: weights)
        // Best score first; ties in the order the index found them (the sort is stable).
        let ranked = evaluated.matches.sorted { $0.match.score > $1.match.score }
        let scores = ranked.map(\.match.score)
        let topScores = Array(scores.prefix(2))
        let compared = evaluated.compared
        var features: DecisionFeatures?
        var probability: Double?  // the model's P(best is this browser), once per visit
        var best: (match: Similarity.Match, profile: Profile)?
        var weighed: [CandidateTrial] = []
        if !ranked.isEmpty {
            // The close candidates (within `rerankMargin` of the best score, at most `rerankLimit`)
            // are each judged by the model as if it were the best: the likeliest is the best. Identical
            // twins score alike; what tells them apart (one silent for a week, the other seen an hour
            // ago with its token) is in the model's features, not in the score.
            let close = ranked.prefix(model.rerankLimit).prefix { $0.match.score >= scores[0] - model.rerankMargin }
            let profiles = close.map { index.profile(atSlot: $0.slot) }
            // The best of the others: the runner-up for the best candidate, the best for the rest.
            let leader = profiles.first.map { (address: ranked[0].match.address, look: $0.look) }
            let runnerUp = ranked.dropFirst().first.map { second in
                (address: second.match.address, look: profiles.count > 1 ? profiles[1].look : index.profile(atSlot: second.slot).look)
            }
            let visit = VisitContext(o, index: index, model: model, evidence: evidence, at: time)
            // Features first, then the model on all of them at once (the trees' nodes fetched once).
            let candidates = zip(close, profiles).enumerated().map { j, pair in
                let (candidate, profile) = pair
                let f = decisionFeatures(
                    o, visit, candidate.match, profile, other: j == 0 ? runnerUp : leader, scores: scores, rank: j, at: time)
                return (candidate: candidate, profile: profile, features: f)
            }
            let prices = model.probabilities(candidates.map(\.features))
            for ((candidate, profile, f), p) in zip(candidates, prices) {
                weighed.append(CandidateTrial(visitorID: profile.visitorID, features: f, probability: p))
                if p > probability ?? -1 {
                    probability = p
                    features = f
                    best = (candidate.match, profile)
                }
            }
        }
        if let f = features, let best, let pBest = probability {
            if pBest > model.threshold(for: f) {
                var p = best.profile
                var trial: JoinTrial?
                if !p.provisional.isEmpty, !o.looksPrivate,
                    var joined = settleProvisional(&p, o, instance: instance, at: time, weighed: &trial)
                {
                    joined.tokenMismatch = tokenMismatch
                    joined.features = f
                    joined.weighed = weighed
                    return joined
                }
                let last = p.lastSeenAt
                if !o.looksPrivate { evidence.attachments += 1 }
                p.attachInstance(instance, privateVisit: o.looksPrivate)
                p.absorb(o, at: time)
                index.upsert(p)
                return Decision(
                    visitorID: p.visitorID, basis: .fingerprint, visitorFound: true, confidence: model.calibrated(pBest),
                    firstSeenAt: p.firstSeenAt, lastSeenAt: last, tokenMismatch: tokenMismatch, instance: instance,
                    candidates: compared, topScores: topScores, features: f, topCandidate: p.visitorID, profile: p,
                    joinTrial: trial, weighed: weighed)
            }
        }

        // A private-only visitor at this address, when no ordinary candidate was seen here.
        if !evaluated.matches.contains(where: { $0.match.address >= 2 }),
            let adopted = o.looksPrivate
                ? privateAgain(o, instance: instance, at: time, tokenMismatch: tokenMismatch)
                : adoptPrivateOnly(o, instance: instance, at: time, tokenMismatch: tokenMismatch)
        {
            return adopted
        }
        if !o.looksPrivate, let adopted = adoptPrivateOnlyByLook(o, instance: instance, at: time, tokenMismatch: tokenMismatch) {
            return adopted
        }

        var p = Profile(visitorID: newVisitorID(), observation: o, at: time)
        p.sawInstance(instance, privateVisit: o.looksPrivate)
        if let f = features, let closeCall = probability, !p.ephemeral, let best, closeCall >= model.provisionalFloor,
            f.rivals < model.provisionalLimit
        {
            // A close call: remember who else it might have been.
            var rivals = [best.profile.visitorID]
            let close = ranked.filter { $0.match.score >= best.match.score - model.provisionalMargin }
            for m in close where rivals.count < model.provisionalLimit {
                let id = index.profile(atSlot: m.slot).visitorID
                if id != best.profile.visitorID { rivals.append(id) }
            }
            p.provisional = rivals
            p.closeCall = closeCall
        }
        index.upsert(p)
        return Decision(
            visitorID: p.visitorID, basis: .new, visitorFound: false,
            confidence: probability.map { model.calibrated(1 - $0) } ?? model.unmatchedConfidence,
            firstSeenAt: time, lastSeenAt: time, tokenMismatch: tokenMismatch, instance: instance,
            candidates: compared, topScores: topScores, features: features, topCandidate: best?.profile.visitorID,
            profile: p, weighed: weighed)
    }
}
