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

    public var vector: [Double] {
        [
            1, top, min(gap, Self.maxGap), log1p(Double(rivals)), address == 3 ? 1 : 0, address == 2 ? 1 : 0,
            address == 1 ? 1 : 0, drift, log1p(Double(twins)), exact ? 1 : 0, exact && twins == 0 ? 1 : 0,
            log1p(Double(model)), log1p(Double(crowd)), webkit ? 1 : 0, privateMode ? 1 : 0, cookiesDisabled ? 1 : 0,
        ]
    }

    public static let names = [
        "bias", "top", "gap", "rivals", "lastAddress", "recentAddress", "network", "drift", "twins", "exact", "uniqueExact",
        "model", "crowd",
        "webkit", "private", "cookiesDisabled",
    ]
}

/// A logistic model of P(the best candidate is this browser) over
/// `DecisionFeatures`; the engine merges when it is above `threshold`.
/// The coefficients were fitted on simulated populations (tools/fit.py;
/// see docs/identification.md) and are the calibration of `confidence`.
public struct DecisionModel: Sendable, Equatable {
    public var coefficients: [Double]
    public var threshold = 0.7
    /// A new visitor below `threshold` but above this was a close call, remembered for later.
    public var provisionalFloor = 0.2
    /// Joining a provisional visitor into its silent rival needs this much.
    public var joinThreshold = 0.7

    public init(coefficients: [Double]? = nil) {
        self.coefficients = coefficients ?? Self.fitted
    }

    public static let fitted: [Double] = [
        1.765, -0.699, 0.057, -1.121, 3.142, 3.167, 1.924, 1.302, 0.147, 0, 0, 0.238, -0.159, 0.227, 0.716, 1.534,
    ]

    /// Experimental rule set (selected by `useRules`).
    public var useRules = false

    public func rules(_ f: DecisionFeatures) -> Bool {
        let unique = f.rivals == 0
        if f.privateMode { return unique && f.gap >= 1 && f.drift >= -2.5 }
        if f.address >= 2 && unique && f.crowd <= 5 && f.drift >= -3 { return true }
        if f.address == 1 && unique && f.twins == 0 && f.drift >= -1 { return true }
        if f.cookiesDisabled && unique && f.exact { return true }
        return false
    }

    public func probability(_ f: DecisionFeatures) -> Double {
        if useRules { return rules(f) ? 0.9 : 0.1 }
        var z = 0.0
        for (c, x) in zip(coefficients, f.vector) { z += c * x }
        return 1 / (1 + exp(-z))
    }
}
