/// Anti-fingerprinting settings: Brave's farbling, canvas readings that change
/// between two renderings in one page (noise injection), Firefox's
/// resist-fingerprinting (UTC, rounded window, 2 cores reported).
extension Detectors {
    static let privacySettings = Detector("privacySettings") { c in
        var reasons: [String] = []
        if (c.components["vendorFlavors"]?.arrayValue ?? []).contains(where: { $0.stringValue == "brave" }) {
            reasons.append("brave")
        }
        if c.components["canvasStable"]?.boolValue == false { reasons.append("canvas_noise") }
        if c.uaEngine == "gecko", c.components.timezone == "UTC" || c.components.timezone == "Atlantic/Reykjavik",
            c.components.hardwareConcurrency == 2, c.components.timezoneOffset == 0
        {
            reasons.append("resist_fingerprinting")
        }
        return reasons.isEmpty ? [] : [Finding(.privacySettings, flag: "privacy_settings", detail: reasons.joined(separator: ","))]
    }
}
