/// Native browser functions whose source text is no longer native (canvas,
/// WebGL, audio, navigator getters…): fingerprint spoofing by extensions or
/// anti-detect browsers. One patched API is a hint; several are tampering.
extension Detectors {
    static let functionTampering = Detector("functionTampering") { c in
        let tampered = (c.automation?["tamperedFunctions"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard !tampered.isEmpty else { return [] }
        let strength = min(0.95, 0.25 + 0.2 * Double(tampered.count))
        var findings = [Finding(.tampering, flag: "tampering", strength: strength, detail: tampered.joined(separator: ","))]
        // Spoofing the identity surfaces (user agent, platform, hardware) is what anti-detect browsers do.
        let identity = tampered.filter { $0.hasPrefix("Navigator.") || $0.hasPrefix("Screen.") || $0.hasPrefix("WebGL") }
        if identity.count >= 2 { findings.append(Finding(.antiDetectBrowser, flag: "anti_detect_browser", strength: 0.8)) }
        return findings
    }
}
