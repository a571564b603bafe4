import ArgusCore
import Testing

@testable import ArgusSignals

@Suite struct IPDataTests {
    func intelligence() throws -> IPIntelligence {
        var ip = IPIntelligence()
        try ip.loadCountries(torGeoIP: try Fixture.bytes("geoip-excerpt"))
        try ip.loadCountries(torGeoIP: try Fixture.bytes("geoip6-excerpt"))
        try ip.loadLocationDump(try Fixture.bytes("location-dump-excerpt.txt"))
        ip.loadZoneTab(try Fixture.bytes("zone.tab"))
        ip.loadTorExits(Array("# exits\n185.220.101.4\nExitAddress 2.57.172.9 2026-11-20 10:00:00\n".utf8))
        return ip
    }

    @Test func countryFromTorGeoIP() throws {
        let ip = try intelligence()
        #expect(ip.facts(for: "1.0.0.1")?.country == "AU")  // 16777216,16777471,AU
        #expect(ip.facts(for: "8.8.8.8")?.country == "US")  // 100663296,135630591,US
        #expect(ip.facts(for: "2001:2::1")?.country == "JP")
        #expect(ip.facts(for: "not an ip") == nil)
    }

    @Test func mostSpecificNetworkWins() throws {
        let ip = try intelligence()
        let nested = try #require(ip.facts(for: "2.57.172.5"))
        #expect(nested.asn == 25273)
        #expect(nested.asnNetwork == "2.57.172.0/24")
        let outer = try #require(ip.facts(for: "2.57.173.1"))
        #expect(outer.asn == nil)
        #expect(outer.country == "LU")
        let proxy = try #require(ip.facts(for: "2.57.171.200"))
        #expect(proxy.anonymousProxy == true)
        #expect(proxy.country == "BR")
    }

    @Test func hostingNetworksAreDatacenters() throws {
        let ip = try intelligence()
        let hetzner = try #require(ip.facts(for: "5.9.10.10"))
        #expect(hetzner.asn == 24940)
        #expect(hetzner.asnName == "Hetzner Online GmbH")
        #expect(hetzner.datacenter == true)
        #expect(hetzner.datacenterName == "Hetzner")
        #expect(ip.facts(for: "1.1.1.1")?.datacenter == false)
    }

    @Test func torExits() throws {
        let ip = try intelligence()
        #expect(ip.facts(for: "185.220.101.4")?.torExit == true)
        #expect(ip.facts(for: "2.57.172.9")?.torExit == true)
        #expect(ip.facts(for: "185.220.101.5")?.torExit == false)
    }

    @Test func withoutDataFilesNothingIsClaimed() {
        let f = IPIntelligence().facts(for: "5.9.10.10")
        #expect(f?.country == nil && f?.datacenter == nil && f?.torExit == nil && f?.anonymousProxy == nil)
        let s = Signals.evaluate(SignalContext(components: Components(raw: JSONObject()), userAgent: ""))
        let fields = s.eventFields
        for absent in ["ip_info", "ip_blocklist", "proxy", "vpn", "velocity"] { #expect(fields[absent] == nil, "\(absent)") }
    }

    @Test func timezoneMismatchIsAVPN() throws {
        let ip = try intelligence()
        func signals(_ zone: String, _ address: String) -> Signals {
            var o = JSONObject()
            o.append("timezone", .string(zone))
            return Signals.evaluate(
                SignalContext(components: Components(raw: o), userAgent: "", ip: ip.facts(for: address), zoneCountries: ip.zoneCountries))
        }
        let away = signals("America/New_York", "5.9.10.10")  // a German address
        #expect(away.vpn == true)
        #expect(away.vpnMethods["timezone_mismatch"] == true)
        #expect(away.vpnOriginCountry == "US")
        #expect(away.eventFields["vpn_origin_timezone"] == "America/New_York")
        let home = signals("Europe/Berlin", "5.9.10.10")
        #expect(home.vpn == false)
        let utc = signals("UTC", "5.9.10.10")
        #expect(utc.vpn == false)  // UTC names no country: no verdict of mismatch
        let anonymous = signals("America/Sao_Paulo", "2.57.171.200")
        #expect(anonymous.vpn == true)
        #expect(anonymous.vpnMethods["public_vpn"] == true)
        #expect(anonymous.vpnMethods["timezone_mismatch"] == false)
    }

    @Test func eventFieldsCarryIPInfo() throws {
        let ip = try intelligence()
        let s = Signals.evaluate(
            SignalContext(components: Components(raw: JSONObject()), userAgent: "", ip: ip.facts(for: "5.9.10.10"), zoneCountries: ip.zoneCountries))
        let bytes = JSONWriter.bytes(.object(s.eventFields))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(
            text.contains(
                #""ip_info":{"v4":{"address":"5.9.10.10","geolocation":{"country_code":"DE"},"asn":"24940","asn_name":"Hetzner Online GmbH","asn_network":"5.9.0.0/16","asn_type":"hosting","datacenter_result":true,"datacenter_name":"Hetzner"}}"#
            ))
        #expect(text.contains(#""proxy":true,"proxy_confidence":"medium","proxy_details":{"proxy_type":"data_center"}"#))
        #expect(s.risk.flags.contains("datacenter_ip"))
    }

    @Test func rangeTableMatchesBruteForceOnNestedPrefixes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var nets: [IPNetwork] = []
            for _ in 0..<40 {
                let base = UInt32.random(in: 0...0xFFFF, using: &rng) << 16 | UInt32.random(in: 0...0xFFFF, using: &rng)
                let prefix = Int.random(in: 8...28, using: &rng)
                nets.append(IPNetwork(cidr: IPNumber(v4: base & 0xFF0F_FFFF).text + "/\(prefix)")!)
            }
            let table = RangeTable(ranges: nets.enumerated().map { ($0.element.first, $0.element.last, $0.element.prefix, $0.offset) })
            for _ in 0..<300 {
                let probe: IPNumber
                if Bool.random(using: &rng), let n = nets.randomElement(using: &rng) {
                    probe = IPNumber(v4: UInt32(truncatingIfNeeded: n.first.value) &+ UInt32.random(in: 0...3, using: &rng))
                } else {
                    probe = IPNumber(v4: UInt32.random(in: 0...UInt32.max, using: &rng))
                }
                let expected = nets.enumerated().filter { $0.element.contains(probe) }.max { a, b in
                    a.element.prefix != b.element.prefix ? a.element.prefix < b.element.prefix : a.offset > b.offset
                }
                let got = table.lookup(probe)
                #expect(got.map { nets[$0].prefix } == expected.map(\.element.prefix), "\(probe.text)")
            }
        }
    }

    @Test func badDataIsRefusedWithTheLine() {
        #expect(throws: IPDataError.self) { try TorGeoIPFormat.parse(Array("1,2\n".utf8)) }
        #expect(throws: IPDataError.self) { try DatacenterRangesFormat.parse(Array("10.0.0.0/8,ok\nnonsense\n".utf8)) }
    }
}

@Suite struct VelocityTests {
    @Test func windowsCountEventsAddressesAndLinkedIDs() {
        let v = VelocityTracker()
        let t0: Int64 = 1_800_000_000_000
        var last: VelocityCounts?
        for i in 0..<10 {
            last = v.record(
                environmentID: "e", visitorID: "A", ip: "10.0.0.\(i % 3)", country: i < 5 ? "DE" : "FR", linkedID: "acct",
                at: t0 + Int64(i) * 60_000)
        }
        let c = last!
        #expect(c.events == WindowCounts(5, 10, 10))
        #expect(c.distinctIP.oneHour == 3)
        #expect(c.distinctCountry?.oneHour == 2)
        #expect(c.distinctLinkedID?.day == 1)
        #expect(c.distinctVisitorByLinkedID?.oneHour == 1)
        #expect(c.ipEvents.oneHour == 4)  // 10.0.0.0 at minutes 0, 3, 6 and 9
        // Two hours later the 5-minute and 1-hour windows are empty but the day remembers.
        let later = v.record(environmentID: "e", visitorID: "A", ip: "10.0.0.9", country: nil, linkedID: nil, at: t0 + 7_200_000)
        #expect(later.events == WindowCounts(1, 1, 11))
        #expect(later.distinctIP.oneHour == 1)
        #expect(later.distinctIP.day == 4)
        #expect(later.distinctCountry == nil)
        // Another environment shares nothing.
        let other = v.record(environmentID: "f", visitorID: "A", ip: "10.0.0.9", country: nil, linkedID: nil, at: t0 + 7_200_000)
        #expect(other.events.day == 1)
    }

    @Test func memoryIsBoundedUnderAFloodOfKeys() {
        let v = VelocityTracker(capacity: 1000)
        for i in 0..<20_000 {
            _ = v.record(environmentID: "e", visitorID: "v\(i)", ip: "10.\(i >> 16).\((i >> 8) & 255).\(i & 255)", country: nil, linkedID: nil, at: Int64(i))
        }
        #expect(v.keyCount <= 2 * 1000)
    }

    @Test func highVelocityRaisesFlags() {
        let v = VelocityTracker()
        var c: VelocityCounts?
        for i in 0..<8 { c = v.record(environmentID: "e", visitorID: "A", ip: "10.1.0.\(i)", country: nil, linkedID: nil, at: Int64(i) * 1000) }
        let s = Signals.evaluate(SignalContext(components: Components(raw: JSONObject()), userAgent: "", velocity: c))
        #expect(s.risk.flags.contains("velocity_ip"))
        #expect(s.eventFields["velocity"] != nil)
    }
}

@Suite struct RiskTests {
    @Test func levelsFollowTheSpecTable() {
        #expect(RiskLevel(score: 0) == .minimal && RiskLevel(score: 19) == .minimal)
        #expect(RiskLevel(score: 20) == .low && RiskLevel(score: 39) == .low)
        #expect(RiskLevel(score: 40) == .medium && RiskLevel(score: 60) == .high && RiskLevel(score: 80) == .critical)
        #expect(RiskLevel.high.confidence == 0.85)
    }

    @Test func flagsCombineAsIndependentEvidence() {
        let one = RiskScore.summary([Finding(.vpn, flag: "vpn")])
        #expect(one.score == 30)
        let two = RiskScore.summary([Finding(.vpn, flag: "vpn"), Finding(.incognito, flag: "incognito")])
        #expect(two.score == 37)  // 100 × (1 − 0.7 × 0.9)
        #expect(two.flags == ["vpn", "incognito"])
        let weakTampering = RiskScore.summary([Finding(.tampering, flag: "tampering", strength: 0.3)])
        #expect(weakTampering == .none)
        let all = RiskScore.summary(RiskScore.flagWeights.keys.map { Finding(.badBot, flag: $0) })
        #expect(all.score == 100)
    }
}
