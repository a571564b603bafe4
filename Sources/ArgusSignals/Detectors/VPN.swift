/// VPN tells: the browser's time zone is not used in the IP's country
/// (`timezone_mismatch`), or the address is flagged as an anonymous proxy by
/// the location database (`public_vpn`).
extension Detectors {
    /// Time zones that name no country (set on purpose by privacy tools): no verdict.
    static func countries(ofZone zone: String, _ table: [String: [String]]) -> [String]? {
        if zone == "UTC" || zone.hasPrefix("Etc/") { return nil }
        return table[zone]
    }

    static let vpn = Detector("vpn") { c in
        var findings: [Finding] = []
        if let country = c.ip?.country, let zone = c.components.timezone, let zoneCountries = countries(ofZone: zone, c.zoneCountries),
            !zoneCountries.contains(country)
        {
            findings.append(Finding(.vpn, flag: "timezone_mismatch", strength: 0.7, detail: "timezone_mismatch"))
        }
        if c.ip?.anonymousProxy == true { findings.append(Finding(.vpn, flag: "vpn", detail: "public_vpn")) }
        return findings
    }
}
