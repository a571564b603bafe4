/// Parsers of the IP data files Argus reads at start (spec §9). Pure: they
/// take the file's bytes; the server reads the files.

/// Splits bytes into lines (without the newline), skipping empty ones.
func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { line in
        line.last == UInt8(ascii: "\r") ? line.dropLast() : line
    }
}

func text(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }

func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var s = s
    while let f = s.first, f == 32 || f == 9 { s = s.dropFirst() }
    while let l = s.last, l == 32 || l == 9 { s = s.dropLast() }
    return s
}

public struct IPDataError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Debian `tor-geoipdb` tables (`/usr/share/tor/geoip`, `geoip6`): lines
/// `FROM,TO,CC` where FROM/TO are IPv4 integers or IPv6 addresses; `#`
/// comments; `??` means unknown and is skipped.
public enum TorGeoIPFormat {
    public static func parse(_ bytes: [UInt8]) throws -> [(first: IPNumber, last: IPNumber, country: String)] {
        var out: [(IPNumber, IPNumber, String)] = []
        for (n, line) in lines(bytes).enumerated() {
            if line.first == UInt8(ascii: "#") { continue }
            let f = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            guard f.count == 3 else { throw IPDataError("geoip line \(n + 1): expected FROM,TO,CC") }
            let cc = text(trimmed(f[2]))
            if cc == "??" || cc.utf8.count != 2 { continue }
            guard let a = number(f[0]), let b = number(f[1]), a.isV6 == b.isV6, a.value <= b.value else {
                throw IPDataError("geoip line \(n + 1): bad range")
            }
            out.append((a, b, cc))
        }
        return out
    }

    static func number(_ s: ArraySlice<UInt8>) -> IPNumber? {
        let t = text(trimmed(s))
        if let v = UInt32(t) { return IPNumber(v4: v) }
        return IPNumber(t)
    }
}

/// One network of the IPFire location database (Debian `libloc-database`),
/// as `location dump` prints it.
public struct LocationNetwork: Sendable, Equatable {
    public var network: String
    public var country: String?
    public var asn: UInt32?
    public var anonymousProxy = false
    public var satelliteProvider = false
    public var anycast = false
    public var drop = false
}

/// The text export of the IPFire location database (`location dump`):
/// blank-line separated blocks `key: value`. `aut-num: ASn` blocks name
/// autonomous systems; `net: a.b.c.d/n` blocks carry country, `aut-num`
/// and the flags `is-anonymous-proxy`, `is-satellite-provider`,
/// `is-anycast`, `drop`.
public enum LocationDumpFormat {
    public static func parse(_ bytes: [UInt8]) throws -> (networks: [LocationNetwork], asNames: [UInt32: String]) {
        var networks: [LocationNetwork] = []
        var names: [UInt32: String] = [:]
        var current: LocationNetwork?
        var currentAS: UInt32?
        func flush() {
            if let c = current { networks.append(c) }
            current = nil
            currentAS = nil
        }
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = trimmed(line.last == 13 ? line.dropLast() : line)
            if line.isEmpty {
                flush()
                continue
            }
            if line.first == UInt8(ascii: "#") { continue }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let key = text(line[line.startIndex..<colon])
            let value = text(trimmed(line[(colon + 1)...]))
            switch key {
            case "net":
                flush()
                current = LocationNetwork(network: value)
            case "aut-num":
                let digits = value.hasPrefix("AS") ? String(value.dropFirst(2)) : value
                if current != nil {
                    current?.asn = UInt32(digits)
                } else {
                    currentAS = UInt32(digits)
                }
            case "name": if let a = currentAS { names[a] = value }
            case "country": current?.country = value
            case "is-anonymous-proxy": current?.anonymousProxy = value == "yes"
            case "is-satellite-provider": current?.satelliteProvider = value == "yes"
            case "is-anycast": current?.anycast = value == "yes"
            case "drop": current?.drop = value == "yes"
            default: continue
            }
        }
        flush()
        return (networks, names)
    }
}

/// Tor exit addresses: one IP a line (`#` comments), or Tor's
/// `exit-addresses` format (`ExitAddress 1.2.3.4 2024-01-01 00:00:00`).
public enum TorExitFormat {
    public static func parse(_ bytes: [UInt8]) -> Set<IPNumber> {
        var out = Set<IPNumber>()
        for line in lines(bytes) {
            let line = trimmed(line)
            if line.first == UInt8(ascii: "#") { continue }
            let words = line.split(separator: UInt8(ascii: " "))
            let candidate = words.first.map(text) == "ExitAddress" && words.count > 1 ? words[1] : (words.first ?? [])
            if let ip = IPNumber(text(candidate)) { out.insert(ip) }
        }
        return out
    }
}

/// tzdata's `zone.tab` / `zone1970.tab` (`CC[,CC…] <tab> coordinates <tab> TZ`):
/// the countries that use each time zone.
public enum ZoneTabFormat {
    public static func parse(_ bytes: [UInt8]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for line in lines(bytes) where line.first != UInt8(ascii: "#") {
            let f = line.split(separator: 9, omittingEmptySubsequences: false)
            guard f.count >= 3 else { continue }
            let zone = text(trimmed(f[2]))
            for cc in f[0].split(separator: UInt8(ascii: ",")) {
                let c = text(cc)
                if !(out[zone]?.contains(c) ?? false) { out[zone, default: []].append(c) }
            }
        }
        return out
    }
}

/// Datacenter ranges: `CIDR[,name]` a line (`#` comments).
public enum DatacenterRangesFormat {
    public static func parse(_ bytes: [UInt8]) throws -> [(network: IPNetwork, name: String)] {
        var out: [(IPNetwork, String)] = []
        for (n, line) in lines(bytes).enumerated() {
            let line = trimmed(line)
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            let f = line.split(separator: UInt8(ascii: ","), maxSplits: 1)
            guard let net = IPNetwork(cidr: text(trimmed(f[0]))) else {
                throw IPDataError("datacenter ranges line \(n + 1): not a CIDR network")
            }
            out.append((net, f.count > 1 ? text(trimmed(f[1])) : ""))
        }
        return out
    }
}
