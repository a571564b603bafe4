/// What Argus knows about an IP address from the configured data files.
/// Every optional is nil when the file that would answer it is not configured:
/// a signal without data is absent, never guessed.
public struct IPFacts: Sendable, Equatable {
    public var address: String
    public var isV6: Bool
    public var country: String?
    public var asn: UInt32?
    public var asnName: String?
    public var asnNetwork: String?
    /// Flagged as an anonymous proxy by the location database (nil: no ASN database).
    public var anonymousProxy: Bool?
    public var satellite: Bool?
    /// Hosting/cloud address (nil: neither an ASN database nor datacenter ranges configured).
    public var datacenter: Bool?
    public var datacenterName: String?
    /// Listed as a Tor exit (nil: no exit list configured).
    public var torExit: Bool?

    public init(address: String, isV6: Bool) {
        self.address = address
        self.isV6 = isV6
    }
}

/// The IP data tables, loaded once at start. Lookups are binary searches.
public struct IPIntelligence: Sendable {
    struct Network: Sendable {
        var cidr: String
        var country: String?
        var asn: UInt32?
        var anonymousProxy: Bool
        var satellite: Bool
    }

    var countries: RangeTable<String>?
    var networks: RangeTable<Network>?
    var asNames: [UInt32: String] = [:]
    var torExits: Set<IPNumber>?
    var datacenters: RangeTable<String>?
    /// Time zone → the countries that use it (tzdata zone.tab).
    public private(set) var zoneCountries: [String: [String]] = [:]

    public init() {}

    /// True when any IP table is loaded (otherwise events carry no IP signals).
    public var hasIPData: Bool { countries != nil || networks != nil || torExits != nil || datacenters != nil }

    public mutating func loadCountries(torGeoIP bytes: [UInt8]) throws {
        let rows = try TorGeoIPFormat.parse(bytes)
        var ranges = countries.map { t in t.entries.map { ($0.first, $0.last, 0, $0.value) } } ?? []
        ranges += rows.map { ($0.first, $0.last, 0, $0.country) }
        countries = RangeTable(ranges: ranges)
    }

    public mutating func loadLocationDump(_ bytes: [UInt8]) throws {
        let (nets, names) = try LocationDumpFormat.parse(bytes)
        var ranges: [(first: IPNumber, last: IPNumber, specificity: Int, value: Network)] = []
        ranges.reserveCapacity(nets.count)
        for n in nets {
            guard let net = IPNetwork(cidr: n.network) else { throw IPDataError("location dump: bad network \(n.network)") }
            ranges.append(
                (net.first, net.last, net.prefix,
                 Network(cidr: net.text, country: n.country, asn: n.asn, anonymousProxy: n.anonymousProxy, satellite: n.satelliteProvider)))
        }
        networks = RangeTable(ranges: ranges)
        asNames = names
    }

    public mutating func loadTorExits(_ bytes: [UInt8]) { torExits = TorExitFormat.parse(bytes) }

    public mutating func loadDatacenterRanges(_ bytes: [UInt8]) throws {
        let rows = try DatacenterRangesFormat.parse(bytes)
        datacenters = RangeTable(ranges: rows.map { ($0.network.first, $0.network.last, $0.network.prefix, $0.name) })
    }

    public mutating func loadZoneTab(_ bytes: [UInt8]) {
        for (zone, ccs) in ZoneTabFormat.parse(bytes) {
            for cc in ccs where !(zoneCountries[zone]?.contains(cc) ?? false) { zoneCountries[zone, default: []].append(cc) }
        }
    }

    public func facts(for address: String) -> IPFacts? {
        guard let ip = IPNumber(address) else { return nil }
        var f = IPFacts(address: address, isV6: ip.isV6)
        if let countries { f.country = countries.lookup(ip) }
        if let networks {
            let n = networks.lookup(ip)
            f.anonymousProxy = n?.anonymousProxy ?? false
            f.satellite = n?.satellite ?? false
            if f.country == nil { f.country = n?.country }
            if let asn = n?.asn {
                f.asn = asn
                f.asnName = asNames[asn]
                f.asnNetwork = n?.cidr
            }
        }
        if networks != nil || datacenters != nil {
            let byRange = datacenters?.lookup(ip)
            let byASN = f.asn.flatMap { HostingNetworks.name(asn: $0) }
            f.datacenter = byRange != nil || byASN != nil
            f.datacenterName = byRange.flatMap { $0.isEmpty ? nil : $0 } ?? byASN
        }
        if let torExits { f.torExit = torExits.contains(ip) }
        return f
    }
}

/// Autonomous systems of large hosting and cloud providers (public facts):
/// browsers rarely browse from them; proxies, VPN servers and bots do.
public enum HostingNetworks {
    static let names: [UInt32: String] = [
        16509: "Amazon AWS", 14618: "Amazon AWS", 8987: "Amazon AWS",
        15169: "Google Cloud", 396982: "Google Cloud", 19527: "Google Cloud",
        8075: "Microsoft Azure", 8068: "Microsoft Azure",
        14061: "DigitalOcean", 16276: "OVH", 24940: "Hetzner", 213230: "Hetzner",
        63949: "Akamai Linode", 20473: "Vultr", 31898: "Oracle Cloud",
        45102: "Alibaba Cloud", 37963: "Alibaba Cloud", 132203: "Tencent Cloud",
        12876: "Scaleway", 51167: "Contabo", 9009: "M247", 60068: "Datacamp",
        212238: "Datacamp", 36352: "ColoCrossing", 53667: "FranTech", 62240: "Clouvider",
        46606: "Unified Layer", 26496: "GoDaddy", 398101: "GoDaddy", 55286: "B2 Net Solutions",
    ]

    public static func name(asn: UInt32) -> String? { names[asn] }
}
