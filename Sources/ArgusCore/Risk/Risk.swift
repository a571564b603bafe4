/// Argus's own 0–100 risk score, as the Device API (spec §6), the event's
/// `risk` object and the BIN scorer (spec §7) report it.
public enum RiskLevel: String, Sendable, CaseIterable, Comparable {
    case minimal, low, medium, high, critical

    /// Spec §6: 0–19 minimal, 20–39 low, 40–59 medium, 60–79 high, 80–100 critical.
    public init(score: Int) {
        switch score {
        case ..<20: self = .minimal
        case 20..<40: self = .low
        case 40..<60: self = .medium
        case 60..<80: self = .high
        default: self = .critical
        }
    }

    /// The confidence the spec's table attaches to each level.
    public var confidence: Double {
        switch self {
        case .minimal: return 0.50
        case .low: return 0.60
        case .medium: return 0.70
        case .high: return 0.85
        case .critical: return 0.95
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: RiskLevel, b: RiskLevel) -> Bool { a.rank < b.rank }
}

/// A risk verdict: score clamped to 0–100, its level and confidence, and the
/// snake_case flags that raised it (e.g. `webdriver`, `vpn`, `copied_token`).
public struct RiskSummary: Sendable, Equatable {
    public var score: Int
    public var flags: [String]

    public init(score: Int, flags: [String]) {
        self.score = min(100, max(0, score))
        self.flags = flags
    }

    public static let none = RiskSummary(score: 0, flags: [])

    public var level: RiskLevel { RiskLevel(score: score) }
    public var confidence: Double { level.confidence }
}
