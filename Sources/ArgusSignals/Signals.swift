import ArgusCore

/// The smart signals of one event, judged from the detectors' findings.
public struct Signals: Sendable, Equatable {
    public enum Bot: String, Sendable { case notDetected = "not_detected", good, bad }

    public var bot: Bot = .notDetected
    public var botType: String?
    public var incognito = false
    public var developerTools = false
    public var virtualMachine = false
    public var privacySettings = false
    public var tampering = false
    public var anomalyScore = 0.0
    public var antiDetectBrowser = false
    public var highActivity = false
    public var rareDevice: Bool?
    /// IP-based signals: nil when no IP data is configured.
    public var ip: IPFacts?
    public var tor: Bool?
    public var proxy: Bool?
    public var proxyType: String?
    public var vpn: Bool?
    public var vpnMethods: [String: Bool] = [:]
    public var vpnOriginTimezone: String?
    public var vpnOriginCountry: String?
    public var velocity: VelocityCounts?
    public var suspectScore = 0
    public var risk = RiskSummary.none
    public var findings: [Finding] = []

    /// Runs every detector and combines the findings.
    public static func evaluate(_ context: SignalContext, detectors: [Detector] = Detectors.all) -> Signals {
        var s = Signals()
        s.findings = detectors.flatMap { $0.run(context) }
        func combined(_ signal: Finding.Signal) -> Double {
            1 - s.findings.filter { $0.signal == signal }.reduce(1.0) { $0 * (1 - $1.strength) }
        }
        if combined(.badBot) >= 0.5 {
            s.bot = .bad
            s.botType = s.findings.first { $0.signal == .badBot }?.detail
        } else if let good = s.findings.first(where: { $0.signal == .goodBot }) {
            s.bot = .good
            s.botType = good.detail
        }
        s.incognito = combined(.incognito) >= 0.5
        s.developerTools = combined(.developerTools) >= 0.5
        s.virtualMachine = combined(.virtualMachine) >= 0.5
        s.privacySettings = combined(.privacySettings) >= 0.5
        s.anomalyScore = (combined(.tampering) * 10_000).rounded() / 10_000
        s.tampering = s.anomalyScore >= 0.5
        s.antiDetectBrowser = combined(.antiDetectBrowser) >= 0.5
        s.highActivity = combined(.highActivity) >= 0.5
        if context.lookPopulation != nil { s.rareDevice = combined(.rareDevice) > 0 }
        s.velocity = context.velocity
        if let ip = context.ip {
            s.ip = ip
            s.tor = ip.torExit
            let proxy = s.findings.first { $0.signal == .proxy }
            if ip.datacenter != nil || proxy != nil {
                s.proxy = proxy != nil
                s.proxyType = proxy?.detail
            }
            let methods = s.findings.filter { $0.signal == .vpn }.compactMap(\.detail)
            let canJudgeZone = ip.country != nil && context.components.timezone != nil && !context.zoneCountries.isEmpty
            if canJudgeZone || ip.anonymousProxy != nil {
                s.vpn = !methods.isEmpty
                s.vpnMethods = [
                    "timezone_mismatch": methods.contains("timezone_mismatch"), "public_vpn": methods.contains("public_vpn"),
                ]
            }
            if let zone = context.components.timezone {
                s.vpnOriginTimezone = zone
                let ccs = Detectors.countries(ofZone: zone, context.zoneCountries) ?? []
                s.vpnOriginCountry = ccs.count == 1 ? ccs[0] : "unknown"
            }
        }
        s.suspectScore = SuspectScore.score(s)
        s.risk = RiskScore.summary(s.findings)
        return s
    }
}

/// Fingerprint-style suspect score: the sum of the weights of the signals present (documented in docs/signals.md).
public enum SuspectScore {
    public static let weights: [(String, Int)] = [
        ("bot", 10), ("tampering", 7), ("anti_detect_browser", 8), ("tor", 8), ("proxy", 5), ("vpn", 4),
        ("virtual_machine", 3), ("incognito", 2), ("developer_tools", 2), ("privacy_settings", 2),
        ("high_activity_device", 3), ("velocity_ip", 3), ("copied_token", 7),
    ]

    public static func score(_ s: Signals) -> Int {
        var present: Set<String> = []
        if s.bot == .bad { present.insert("bot") }
        if s.tampering { present.insert("tampering") }
        if s.antiDetectBrowser { present.insert("anti_detect_browser") }
        if s.tor == true { present.insert("tor") }
        if s.proxy == true { present.insert("proxy") }
        if s.vpn == true { present.insert("vpn") }
        if s.virtualMachine { present.insert("virtual_machine") }
        if s.incognito { present.insert("incognito") }
        if s.developerTools { present.insert("developer_tools") }
        if s.privacySettings { present.insert("privacy_settings") }
        if s.highActivity { present.insert("high_activity_device") }
        if s.findings.contains(where: { $0.flag == "velocity_ip" }) { present.insert("velocity_ip") }
        if s.findings.contains(where: { $0.flag == "copied_token" }) { present.insert("copied_token") }
        return weights.reduce(0) { $0 + (present.contains($1.0) ? $1.1 : 0) }
    }
}

/// Argus's 0–100 risk score (spec §6): each flag carries a weight (its risk
/// alone, in points); flags combine as independent evidence,
/// `100 × (1 − Π(1 − wᵢ·strengthᵢ/100))`, so no sum runs past 100 and two
/// medium flags outrank one.
public enum RiskScore {
    public static let flagWeights: [String: Double] = [
        "webdriver": 85, "headless_browser": 80, "automation_tool": 85, "impersonated_crawler": 80,
        "anti_detect_browser": 70, "tampering": 50, "copied_token": 60, "tor": 60, "proxy": 40, "datacenter_ip": 35,
        "vpn": 30, "timezone_mismatch": 25, "velocity_ip": 30, "high_activity_device": 20, "virtual_machine": 15,
        "incognito": 10, "developer_tools": 5, "privacy_settings": 5,
    ]

    public static func summary(_ findings: [Finding]) -> RiskSummary {
        var strongest: [String: Double] = [:]
        var order: [String] = []
        for f in findings {
            guard flagWeights[f.flag] != nil else { continue }
            if strongest[f.flag] == nil { order.append(f.flag) }
            strongest[f.flag] = max(strongest[f.flag] ?? 0, f.strength)
        }
        // Tampering evidence counts once, at its combined strength.
        let tamperingStrength = 1 - findings.filter { $0.flag == "tampering" }.reduce(1.0) { $0 * (1 - $1.strength) }
        if tamperingStrength < 0.5 { strongest["tampering"] = nil; order.removeAll { $0 == "tampering" } }
        var keep = 1.0
        for flag in order {
            let strength = flag == "tampering" ? tamperingStrength : strongest[flag]!
            keep *= 1 - flagWeights[flag]! * strength / 100
        }
        return RiskSummary(score: Int((100 * (1 - keep)).rounded()), flags: order)
    }
}
