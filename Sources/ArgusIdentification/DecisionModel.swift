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

    public static let maxGap = 8.0

    /// Back at an address of its own where no other browser was seen, with no close rival and
    /// little drift: the household case, where a cleared browser is nearly always the same one.
    public var homecoming: Bool { address >= 2 && rivals == 0 && crowd <= 1 && drift >= -2 }

    public var vector: [Double] {
        [
            1, top, min(gap, Self.maxGap), log1p(Double(rivals)), address == 3 ? 1 : 0, address == 2 ? 1 : 0,
            address == 1 ? 1 : 0, drift, log1p(Double(twins)), exact ? 1 : 0, exact && twins == 0 ? 1 : 0,
            log1p(Double(model)), log1p(Double(crowd)), webkit ? 1 : 0, privateMode ? 1 : 0, cookiesDisabled ? 1 : 0,
            homecoming ? 1 : 0,
        ]
    }

    public static let names = [
        "bias", "top", "gap", "rivals", "lastAddress", "recentAddress", "network", "drift", "twins", "exact", "uniqueExact",
        "model", "crowd",
        "webkit", "private", "cookiesDisabled", "homecoming",
    ]
}

/// Which identical-device situation a deployment should lean towards.
public enum MatchPolicy: String, Sendable, CaseIterable {
    /// A lone browser back at its own address, looking as it did, is the same browser
    /// (households: the visitor who cleared cookies keeps its id). Default.
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
    public var threshold = 0.85
    /// From an address the candidate used (its own network): a lower bar.
    public var thresholdKnownAddress = 0.85
    /// A private visit's answer is not kept by the browser, so an error does not last.
    public var thresholdPrivate = 0.7

    public func threshold(for f: DecisionFeatures) -> Double {
        if f.privateMode { return thresholdPrivate }
        return f.address >= 2 ? thresholdKnownAddress : threshold
    }
    /// A new visitor below `threshold` but above this was a close call, remembered for later.
    public var provisionalFloor = 0.2
    /// Joining a provisional visitor into its silent rival needs this much.
    public var joinThreshold = 0.85

    public init(coefficients: [Double]? = nil) {
        self.init(policy: .household)
        if let coefficients { self.coefficients = coefficients }
    }

    public init(policy: MatchPolicy) {
        switch policy {
        case .household:
            coefficients = Self.fitted
            calibration = Self.householdCalibration
        case .fleet:
            coefficients = Self.fittedFleet
            calibration = Self.fleetCalibration
        }
    }

    /// `household`: the "homecoming" weight (1.5) is set by hand, not fitted: on the
    /// evaluator's populations, where offices add identical machines far more often than a
    /// browser clears its storage, a fit gives it a negative weight (−0.76).
    public static let fitted: [Double] = [
        -1.393, 0.0, 0.09, -1.095, 1.905, 2.259, 1.471, 0.345, -0.252, 0.318, -0.203, 0.151, -0.206, 0.443, 1.304, 2.521, 1.5,
    ]

    /// `fleet`: fitted without the homecoming feature (tools/fit.py --exclude top homecoming,
    /// seeds 21–23, default and small scenarios, 3 rounds).
    public static let fittedFleet: [Double] = [
        -1.442, 0.0, 0.088, -1.094, 2.241, 2.625, 1.756, 0.36, -0.511, 0.452, -0.298, 0.117, -0.19, 0.499, 1.276, 2.232, 0,
    ]

    /// Measured on the evaluator's populations with seeds 21–23 (default and small scenarios).
    public static let householdCalibration: [(raw: Double, observed: Double)] = [
        (0, 0.05), (0.214, 0.104), (0.348, 0.166), (0.45, 0.207), (0.551, 0.333), (0.653, 0.368), (0.749, 0.466),
        (0.826, 0.47), (0.875, 0.723), (0.926, 0.746), (0.968, 0.795), (0.985, 0.916), (0.99, 0.991), (1, 0.995),
    ]

    /// Measured as the household map (`tools/calibrate.py`).
    public static let fleetCalibration: [(raw: Double, observed: Double)] = [
        (0, 0.05), (0.204, 0.118), (0.375, 0.163), (0.529, 0.304), (0.658, 0.364), (0.756, 0.488), (0.841, 0.565),
        (0.897, 0.735), (0.955, 0.784), (0.988, 0.903), (0.99, 0.995), (1, 0.996),
    ]

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

    public func probability(_ f: DecisionFeatures) -> Double {
        var z = 0.0
        for (c, x) in zip(coefficients, f.vector) { z += c * x }
        return 1 / (1 + exp(-z))
    }
}
