/// IANA time zone → ISO 3166 country (tzdata's `zone.tab` and its links), for comparing a browser's
/// time zone with the card's and the IP's country.
public struct TimezoneCountries: Sendable {
    let map: [String: String]

    public init(map: [String: String]) { self.map = map }

    /// Lines of `CC<TAB>Zone`; `#` comments and blank lines are skipped.
    public init(tsv: String) {
        var map: [String: String] = [:]
        for line in tsv.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t")
            if parts.count >= 2 { map[String(parts[1])] = String(parts[0]).uppercased() }
        }
        self.map = map
    }

    public var count: Int { map.count }

    /// The zone's country; nil for `UTC`, `Etc/…` and unknown zones.
    public func country(_ zone: String) -> String? { map[zone] }
}
