import Foundation

/// What the engine knows when it must decide, for a visit without a usable
/// token, between its best candidate and a new visitor.
public struct DecisionFeatures: Sendable, Equatable {
    /// The best candidate's score (`Similarity`).
    public var top: Double
    /// Its lead over the second best (capped).
    public var gap: Double
    /// Other candidates within one point of it.
    public var rivals: Int
    /// 3: the visitor's last address; 2: a recent one; 1: a recent network; 0: none.
    public var address: Int
    /// The sum of its drift (negative) terms.
    public var drift: Double
    /// Other known visitors with exactly this look: identical twins.
    public var twins: Int
    /// The best candidate's last ordinary visit looked exactly like this one.
    public var exact: Bool
    /// Known visitors with this hardware: how common the model is.
    public var model: Int
    /// Visitors recently seen at this address: household, office or carrier NAT.
    public var crowd: Int
    public var webkit: Bool
    public var privateMode: Bool
    public var cookiesDisabled: Bool
    /// The best candidate's `Similarity.Match.navigation`: the browser came from its last page (1),
    /// from another page of the site (-1), or nothing is known (0).
    public var navigation: Int = 0
    /// The browser came from another page of the site: it has been here before, so it is not new.
    public var cameFromSite: Bool = false
    /// Days since the best candidate's last visit (the server's clock).
    public var silenceDays: Double = 0
    /// WebKit deletes a site's storage after this many days without a visit (Safari's ITP):
    /// a WebKit browser back after such a silence has lost its token whatever it is.
    public static let webkitExpiryDays = 7.0
    public var webkitExpiry: Bool { webkit && silenceDays >= Self.webkitExpiryDays }

    public static let maxGap = 8.0

    /// The best candidate's silence for its habits (`Profile.silence(at:)`): a browser that keeps
    /// away for many of its usual gaps comes back without its storage more often (WebKit deletes it).
    public var silence: Double = 0
    /// Provisional visitors that already list the best candidate as who they might have been.
    public var claimed: Int = 0

    /// Visits per known visitor in this environment (`VisitorIndex.visits` per `count`, blended
    /// with `maturityPrior` by `maturity(visits:visitors:)`): near 1 while a deployment is young
    /// and nearly every browser is new, larger as browsers return.
    /// The base rate of new browsers that a visit without token comes from.
    public var maturity: Double = 1
    /// Held at 4 visits per visitor. The term was fitted on environments that reach about 6, but
    /// its eagerness past 4 cost false merges where nobody shares a machine (households only:
    /// 0.64 → 0.79 % at 6, 0.65 % at 4) and put one default seed of six above 1 % (replay,
    /// seeds 1–6: default 0.7660 / 0.80 % at 6, 0.7627 / 0.66 % at 4).
    public static let maturityCap = 4.0
    /// A handful of visits says little about the base rate: the environment's own count is
    /// blended with this many pretend visitors at the neutral rate (where the maturity term and
    /// the bias add up to what they were without it), so a new deployment starts neutral and
    /// a young busy one (hundreds of first visits) turns cautious.
    public static let maturityPrior = (visitors: 10.0, visitsPerVisitor: 3.3)

    /// Visits per known visitor with `maturityPrior` blended in.
    public static func maturity(visits: Int64, visitors: Int) -> Double {
        (Double(visits) + maturityPrior.visitors * maturityPrior.visitsPerVisitor)
            / (Double(visitors) + maturityPrior.visitors)
    }

    // Read by the tree ensemble only (the logistic coefficients stop before them).
    /// The share of the environment's history since the best candidate's last visit: a clock
    /// that runs at the environment's pace, whatever the server's clock says.
    public var quietShare: Double = 0
    /// The best candidate's silence at the environment's usual rate of return
    /// (`VisitorIndex.silenceAtTheUsualRate`): meaningful for a candidate with no habit of its own.
    public var silenceUsual: Double = 0
    /// The best candidate's visits so far.
    public var visits: Int64 = 0
    /// Addresses the best candidate was seen at (of the last eight).
    public var addresses: Int = 0
    /// Browser storages the best candidate holds (its own, and those attached on evidence).
    public var instances: Int = 0
    /// The second-best candidate: its address level (as `address`, 0 without one) and whether it
    /// looked exactly like this visit.
    public var secondAddress: Int = 0
    public var secondExact: Bool = false
    /// A phone's or tablet's operating system: carrier networks, addresses that change and are shared.
    public var roams: Bool = false

    /// The environment has shown identical machines that fingerprint merges could not tell apart
    /// (`FleetEvidence`): a lone exact browser at a known address may as well be a second one.
    public var fleetEvidence: Bool = false

    /// Back at an address of its own where no other browser was seen, with no close rival and
    /// little drift: the household case, where a cleared browser is nearly always the same one
    /// (unless the environment has shown fleets of identical machines).
    public var homecoming: Bool { address >= 2 && rivals == 0 && crowd <= 1 && drift >= -2 && !fleetEvidence }

    public var vector: [Double] {
        [
            1, top, min(gap, Self.maxGap), log1p(Double(rivals)), address == 3 ? 1 : 0, address == 2 ? 1 : 0,
            address == 1 ? 1 : 0, drift, log1p(Double(twins)), exact ? 1 : 0, exact && twins == 0 ? 1 : 0,
            log1p(Double(model)), log1p(Double(crowd)), webkit ? 1 : 0, privateMode ? 1 : 0, cookiesDisabled ? 1 : 0,
            homecoming ? 1 : 0, navigation == 1 ? 1 : 0, navigation == -1 ? 1 : 0, cameFromSite ? 1 : 0,
            webkitExpiry ? 1 : 0, log(min(max(maturity, 1), Self.maturityCap)), silence, webkit ? silence : 0,
            log1p(Double(claimed)), quietShare, silenceUsual, log1p(Double(visits)), Double(addresses),
            log1p(Double(instances)), Double(secondAddress), secondExact ? 1 : 0, roams ? 1 : 0,
        ]
    }

    public static let names = [
        "bias", "top", "gap", "rivals", "lastAddress", "recentAddress", "network", "drift", "twins", "exact", "uniqueExact",
        "model", "crowd",
        "webkit", "private", "cookiesDisabled", "homecoming", "cameFromLastPage", "cameFromOtherPage",
        "cameFromSite", "webkitExpiry", "maturity", "silence", "webkitSilence", "claimed", "quietShare", "silenceUsual",
        "visits", "addresses", "instances", "secondAddress", "secondExact", "roams",
    ]
}

/// What the engine knows when a visitor created on a close call comes back
/// (`IdentificationEngine.settleProvisional`): is it the silent rival it might have been?
public struct JoinFeatures: Sendable, Equatable {
    /// When the visitor was created: the probability that it was its best rival.
    public var closeCall: Double
    /// This visit against the rival: 3 its last address, 2 a recent one, 1 a recent network, 0 none.
    public var address: Int
    /// The drift terms of this visit against the rival.
    public var drift: Double
    /// Visits of the provisional visitor so far, all while the rival stayed silent.
    public var visits: Int
    /// The provisional visitor has used one of the rival's addresses.
    public var sharedAddress: Bool
    /// This visit looks exactly as the rival last looked.
    public var exact: Bool
    /// Other known visitors with this look.
    public var twins: Int
    /// Visitors recently seen at this address.
    public var crowd: Int
    public var webkit: Bool
    /// Other silent rivals still in the running.
    public var others: Int
    /// How unlikely the rival's silence is if it is another browser still visiting (`Profile.silence(at:)`).
    public var silence: Double = 0
    /// Other provisional visitors that list the same rival: at most one of them can be it.
    public var contenders: Int = 0
    /// For a rival seen once (no habit of its own): its silence at the environment's rate of
    /// return, (visits per visitor − 1) · silence / the environment's age.
    public var silenceOnce: Double = 0

    public var vector: [Double] {
        let p = min(max(closeCall, 0.01), 0.99)
        return [
            1, log(p / (1 - p)), address == 3 ? 1 : 0, address == 2 ? 1 : 0, address == 1 ? 1 : 0, drift,
            log1p(Double(visits)), sharedAddress ? 1 : 0, exact ? 1 : 0, log1p(Double(twins)), log1p(Double(crowd)),
            webkit ? 1 : 0, log1p(Double(others)), silence, log1p(Double(contenders)), silenceOnce,
        ]
    }

    public static let names = [
        "bias", "closeCall", "lastAddress", "recentAddress", "network", "drift", "visits", "sharedAddress", "exact",
        "twins", "crowd", "webkit", "others", "silence", "contenders", "silenceOnce",
    ]
}

/// How often this environment's fingerprint merges were proven wrong: a browser
/// attached to a visitor by fingerprint is evicted when the visitor's own earlier
/// browser storage shows up again (two browsers alive at once, `Profile.sawInstance`).
/// Households and consumer traffic see few evictions; offices and labs of identical
/// machines many. Counted live by the engine and recounted from profiles at load.
public struct FleetEvidence: Sendable, Equatable {
    /// Browsers attached to a visitor by fingerprint (not private visits).
    public var attachments = 0
    /// Of those, proven to be another browser.
    public var evictions = 0

    /// Evictions per attachment, with `prior` attachments of no eviction: a young environment
    /// (the first visits of a deployment, a test) counts as a household one.
    public var rate: Double { Double(evictions) / Double(attachments + Self.prior) }
    public static let prior = 20
    /// Above this share, the environment is treated as a fleet (`DecisionFeatures.fleetEvidence`).
    /// At the end of a replay under `auto` (tools/replay.py, seeds 1–3): 0.9–1.3 % on households
    /// only, 2.1–3.1 % on the evaluator's default mix (20 % office machines), 3.2–5.1 % with 40 %.
    /// One eviction among the first 20 attachments is enough to turn: fleets show early.
    public static let fleetRate = 0.025
    public var showsFleets: Bool { rate > Self.fleetRate }

    public init(attachments: Int = 0, evictions: Int = 0) {
        self.attachments = attachments
        self.evictions = evictions
    }

    /// What a stored profile says: its fingerprint attachments, still there or evicted since.
    public mutating func count(_ p: Profile) {
        let (e, a) = Self.tally(p)
        evictions += e
        attachments += a
    }

    /// Takes back what `count` added for a profile that is being replaced.
    public mutating func uncount(_ p: Profile) {
        let (e, a) = Self.tally(p)
        evictions -= e
        attachments -= a
    }

    /// A stored profile's evictions, and its attachments (still attached or evicted since).
    static func tally(_ p: Profile) -> (evictions: Int, attachments: Int) {
        (p.evicted.count, p.evicted.count + p.instances.count { $0.attached && !$0.privateVisit })
    }
}

/// Which identical-device situation a deployment should lean towards.
public enum MatchPolicy: String, Sendable, CaseIterable {
    /// `household` until the environment's own history shows fleets of identical machines
    /// (`FleetEvidence`: fingerprint merges later proven to be two browsers), then `fleet`. Default.
    case auto
    /// A lone browser back at its own address, looking as it did, is the same browser
    /// (households: the visitor who cleared cookies keeps its id).
    case household
    /// The same situation is as likely a second machine of an identical fleet (offices,
    /// kiosks, labs): a new id, unless other evidence is strong. Fewer false merges,
    /// and a browser that cleared its storage at home gets a new id.
    case fleet
}

/// A logistic model of P(the best candidate is this browser) over
/// `DecisionFeatures`; the engine merges when it is above `threshold`.
/// The coefficients were fitted on simulated populations (tools/fit.py;
/// see docs/identification.md), the confidence map too (tools/calibrate.py).
public struct DecisionModel: Sendable {
    public var coefficients: [Double]
    /// Raw model output → observed share of right answers: what `confidence` reports.
    public var calibration: [(raw: Double, observed: Double)]
    public var threshold = 0.82
    /// From an address the candidate used, its last or a recent one (`DecisionFeatures.address` 2
    /// or 3; a recent network alone is not enough): a lower bar.
    public var thresholdKnownAddress = 0.8
    /// A private visit's answer is not kept by the browser, so an error does not last; but its
    /// evidence is weak (WebKit randomises its renderings), and with the trees a bar of 0.82 merged
    /// new browsers whose first visit was private into known visitors (`no-token new` 0.987 on
    /// seed 1, eight workers' order); 0.9 kept it at 0.99 or more on seeds 1–9 for 0.002 strict
    /// accuracy (seeds 4–9). With the trees refitted on twice the populations, 0.87 keeps it at
    /// 0.99 or more on seeds 1–9 in four orders of the eight workers and gives every population
    /// +0.001–0.002 continuity (a private visit split costs two: itself and the next visit with
    /// the token) for at most +0.02 points of false merges (BENCHMARKS.md, tenth session).
    public var thresholdPrivate = 0.87

    /// A WebKit browser back after Safari's storage expiry (`DecisionFeatures.webkitExpiry`): the
    /// silence explains the missing token, but an identical phone's first visit looks the same.
    /// 0.9: on seeds 1–6 with the simulated clock (tools/replay.py --real-time) it gained +0.015
    /// strict accuracy for +0.2 % false merges when it came; at 0.85, +0.021 for +0.3 %. With the
    /// silence terms, which fire with it on a real clock, 0.93 kept every default seed under 1 %
    /// (0.99 % at most, against 1.07 % at 0.9) but turned a Safari seen once, back from its last
    /// page after a week, into a new visitor (EngineTests), so it stays at 0.9.
    public var thresholdExpiry = 0.88

    public func threshold(for f: DecisionFeatures) -> Double {
        if f.privateMode { return thresholdPrivate }
        let base = f.address >= 2 ? thresholdKnownAddress : threshold
        return f.webkitExpiry ? max(base, thresholdExpiry) : base
    }
    /// Close candidates judged by the model for the best (`IdentificationEngine.identify`): at
    /// most this many, within this much of the best score. 1: the best score decides alone.
    /// Four within one point until the tenth session; with the refitted trees, six within two
    /// gave +0.001–0.0016 strict accuracy on every population and worker order measured, with
    /// false merges and continuity unchanged within ±0.03 points (BENCHMARKS.md, tenth session).
    public var rerankLimit = 6
    public var rerankMargin = 2.0

    /// A new visitor below `threshold` but above this was a close call, remembered for later.
    /// Low on purpose: the join model (fitted with it) weighs how close the call was.
    public var provisionalFloor = 0.02
    /// At most this many rivals are remembered for a close call (more within one point of the
    /// best, `DecisionFeatures.rivals`: a crowd, nothing to settle).
    public var provisionalLimit = 4
    /// Rivals remembered for a close call score at most this far below the best candidate.
    public var provisionalMargin = 1.0
    /// Joining a provisional visitor into its silent rival needs this much (`joinProbability`).
    public var joinThreshold = 0.88
    /// A logistic model of P(a provisional visitor is its silent rival) over `JoinFeatures`.
    public var joinCoefficients = Self.fittedJoin

    /// Fitted by tools/fit.py --target join --exclude (every term; seeds 21–23, default and small
    /// scenarios, 3 rounds) with the silence and contenders terms, on the decision model before its
    /// own silence terms; refitted after them, the training seeds lost 0.003 strict accuracy, so
    /// these stay. `silenceOnce` was fitted alone on top (--only silenceOnce).
    public static let fittedJoin: [Double] = [
        0.383, 0.9, -0.329, 2.66, 0.879, 0.283, 0.284, 1.084, -0.313, -0.458, -0.203, 0.549, -0.547, 0.32, -0.787, 0.19,
    ]

    /// Boosted trees fitted on top of the logistic join model, as `trees` on top of the decision
    /// model (`TreeEnsemble.fittedJoin`); `nil`: the logistic join model alone.
    public var joinTrees: TreeEnsemble? = TreeEnsemble.fittedJoin

    /// The logistic join model's log-odds.
    public func joinLogisticScore(_ x: [Double]) -> Double { Self.logOdds(joinCoefficients, x) }

    /// A logistic model's log-odds: one weighted term per feature.
    static func logOdds(_ coefficients: [Double], _ x: [Double]) -> Double {
        var z = 0.0
        for (c, v) in zip(coefficients, x) { z += c * v }
        return z
    }

    public func joinProbability(_ f: JoinFeatures) -> Double {
        let x = f.vector
        return 1 / (1 + exp(-(joinLogisticScore(x) + (joinTrees?.raw(x) ?? 0))))
    }

    /// `auto`: the homecoming term counts only while the environment shows no fleets.
    public var adaptive = false
    /// The match policy the model was made for.
    public private(set) var policy = MatchPolicy.household

    /// Boosted trees fitted on top of the logistic model (`TreeEnsemble.fittedDecision`, every
    /// policy): their raw score corrects its log-odds where the features interact. Fitted as a
    /// correction, not a model of their own, so that where the simulated populations say little
    /// (a deployment's first visitors, a household of one) the logistic model and the match
    /// policy still decide. `nil`: the logistic model alone.
    public var trees: TreeEnsemble? = TreeEnsemble.fittedDecision

    /// `coefficients` given: the logistic model with them, no trees.
    public init(coefficients: [Double]? = nil) {
        self.init(policy: .household)
        if let coefficients {
            self.coefficients = coefficients
            trees = nil
        }
    }

    public init(policy: MatchPolicy) {
        self.policy = policy
        switch policy {
        case .auto:
            coefficients = Self.fitted
            calibration = Self.householdCalibration
            adaptive = true
        case .household:
            coefficients = Self.fitted
            calibration = Self.householdCalibration
        case .fleet:
            coefficients = Self.fittedFleet
            calibration = Self.fleetCalibration
        }
    }

    /// `fleet`: fitted without the homecoming feature (tools/fit.py --exclude top homecoming,
    /// seeds 21–23, default and small scenarios, 3 rounds, with `fittedJoin` in place); the bias
    /// and the maturity term refitted together on top (tools/fit.py --only bias maturity, 2026-11-22,
    /// with the term held at 6; it is held at 4 since, see `maturityCap`):
    /// the bias was −2.091 before the term. A refit of every term with maturity gave more strict
    /// accuracy on the default mix but 1.7 % false merges on the small one, so only these two.
    /// The last three (silence, webkitSilence, claimed) were fitted alone on top, every other
    /// term held (tools/fit.py --only silence webkitSilence claimed, with `fitted`, sixth session);
    /// then webkitExpiry again on the simulated clock, where both it and the silence terms fire
    /// (tools/fit.py --real-time --only webkitExpiry: 0.786 → 0.638).
    public static let fittedFleet: [Double] = [
        -4.22, 0.0, 0.145, -0.97, 2.317, 2.818, 1.61, 0.368, -0.65, 0.662, -0.518, 0.155, -0.327, 0.427, 1.217, 2.464, 0,
        1.368, -0.95, 0.418, 0.638, 1.776, 0.307, -0.064, -0.243,
    ]

    /// `household`: the fleet model plus the "homecoming" term, whose weight (0.8) is set by
    /// hand, not fitted: on the evaluator's populations, where offices add identical machines
    /// far more often than a browser clears its storage, a fit gives it a negative weight (−0.77).
    public static let fitted: [Double] = {
        var c = fittedFleet
        c[DecisionFeatures.names.firstIndex(of: "homecoming")!] = 0.8
        return c
    }()

    /// Measured on the evaluator's populations with seeds 21–32 (default and small scenarios),
    /// `tools/calibrate.py --policy auto --seeds 21 … 32` (auto is the default policy and shares
    /// this map with household), with the fitted trees and the join trees refitted on 2026-11-23
    /// (fourteenth session). Over model-priced answers only (fingerprint matches, joins, new
    /// visitors that had a candidate); the first point anchors the map at zero (not measured).
    public static let householdCalibration: [(raw: Double, observed: Double)] = [
        (0, 0.03), (0.2861, 0.095), (0.5766, 0.190), (0.8232, 0.531), (0.9072, 0.803), (0.9495, 0.843),
        (0.9741, 0.904), (0.9874, 0.930), (0.9943, 0.949), (0.9977, 0.972), (0.9993, 0.974), (0.9999, 0.980),
        (1.0000, 0.983),
    ]

    /// Measured as the household map (`tools/calibrate.py --policy fleet`).
    public static let fleetCalibration: [(raw: Double, observed: Double)] = [
        (0, 0.02), (0.2843, 0.083), (0.5692, 0.197), (0.8180, 0.524), (0.9043, 0.800), (0.9466, 0.850),
        (0.9720, 0.891), (0.9863, 0.929), (0.9938, 0.945), (0.9975, 0.969), (0.9993, 0.972), (0.9999, 0.975),
        (1.0000, 0.983),
    ]

    /// The confidence of a token answer (the browser's own token, its device fitting): the share
    /// of such answers that were right, measured with the maps above (0.9979 under both policies).
    /// Not 1: a token carries whatever an earlier wrong decision gave the browser.
    public var tokenConfidence = 0.998
    /// The confidence of a new visitor that had no candidate at all: measured likewise (0.9885
    /// under auto, 0.9874 under fleet). Not 1: a browser whose drift hid it from every blocking
    /// key is new to the engine but not to the site.
    public var unmatchedConfidence = 0.988

    /// The probability that an answer given with raw confidence `raw` is right.
    public func calibrated(_ raw: Double) -> Double {
        let points = calibration
        guard raw > points[0].raw else { return points[0].observed }
        for (a, b) in zip(points, points.dropFirst()) where raw <= b.raw {
            let t = (raw - a.raw) / (b.raw - a.raw)
            return a.observed + t * (b.observed - a.observed)
        }
        return points[points.count - 1].observed
    }

    /// The logistic model's log-odds.
    public func logisticScore(_ x: [Double]) -> Double { Self.logOdds(coefficients, x) }

    /// P(the best candidate is this browser): the logistic model, corrected by the tree
    /// ensemble when there is one (its raw score adds to the log-odds).
    /// The homecoming situation is left to the logistic model: what it answers there is the
    /// match policy's choice (`MatchPolicy`), not something to learn from one population's mix
    /// of households and offices.
    public func probability(_ f: DecisionFeatures) -> Double { probabilities([f])[0] }

    /// `probability` of each of several candidates' features, the trees walked for all at once.
    public func probabilities(_ fs: [DecisionFeatures]) -> [Double] {
        let xs = fs.map(\.vector)
        let treed = fs.indices.filter { !fs[$0].homecoming }
        var corrections = [Double](repeating: 0, count: fs.count)
        if let trees, !treed.isEmpty {
            for (i, raw) in zip(treed, trees.raw(treed.map { xs[$0] })) { corrections[i] = raw }
        }
        return xs.indices.map { 1 / (1 + exp(-(logisticScore(xs[$0]) + corrections[$0]))) }
    }
}
