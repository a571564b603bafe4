import ArgusCore
import Testing

@testable import ArgusRisk

/// Each reason of the BIN score, on Fingerprint's example event with single fields changed.
@Suite struct BINScorerTests {
    /// A US Amex credit card (no prepaid, no commercial).
    let us = RiskData.table.lookup("341142")!

    /// The example event made consistent with a US card: US IP, US time zone, no VPN, proxy, Tor or bot.
    func cleanUSEvent() throws -> JSON {
        var e = try RiskData.event()
        e = set(e, ["ip_info", "v4", "geolocation", "country_code"], "US")
        e = set(e, ["ip_info", "v4", "geolocation", "timezone"], "America/New_York")
        e = set(e, ["vpn_origin_timezone"], "America/Chicago")
        e = set(e, ["proxy"], false)
        return e
    }

    func set(_ value: JSON, _ path: [String], _ new: JSON) -> JSON {
        guard let first = path.first, case .object(var o) = value else { return value }
        o[first] = path.count == 1 ? new : set(o[first] ?? [:], Array(path.dropFirst()), new)
        return .object(o)
    }

    func score(_ event: JSON?, record: BINRecord? = nil, billing: String? = nil, device: BINVelocity? = nil, user: BINVelocity? = nil)
        -> BINScore
    {
        BINScorer.score(
            BINScoreInput(
                bin: "341142", record: record ?? us, event: event.map { EventSignals(event: $0) }, billingCountry: billing,
                deviceVelocity: device, userVelocity: user),
            timezones: RiskData.timezones)
    }

    @Test func theExampleEventAsIs() throws {
        let signals = EventSignals(event: try RiskData.event())
        #expect(signals.eventID == "1708102555327.NLOjmg")
        #expect(signals.visitorID == "Ibk1527CUFmcnjLwIs4A9")
        #expect(signals.ipCountry == "CZ")
        #expect(signals.ipTimezone == "Europe/Prague")
        #expect(signals.browserTimezone == "Europe/Berlin")
        #expect(signals.proxy && !signals.vpn && !signals.tor && !signals.badBot)
        // A US card from a Czech IP with a German browser, through a proxy.
        let s = score(try RiskData.event())
        #expect(s.codes == ["bin_country_ip_mismatch", "bin_country_timezone_mismatch", "ip_timezone_mismatch", "proxy"])
        #expect(s.score == 25 + 15 + 10 + 15)
        #expect(s.level == .high)
    }

    @Test func aConsistentEventScoresZero() throws {
        let s = score(try cleanUSEvent())
        #expect(s.reasons == [])
        #expect(s.score == 0)
        #expect(s.level == .minimal)
    }

    @Test func countryMismatches() throws {
        let ip = score(set(try cleanUSEvent(), ["ip_info", "v4", "geolocation", "country_code"], "de"))
        #expect(ip.codes == ["bin_country_ip_mismatch", "ip_timezone_mismatch"])
        let tz = score(set(try cleanUSEvent(), ["vpn_origin_timezone"], "Asia/Calcutta"))
        #expect(tz.codes == ["bin_country_timezone_mismatch", "ip_timezone_mismatch"])
        #expect(tz.score == BINScorer.Points.binCountryTimezoneMismatch + BINScorer.Points.ipTimezoneMismatch)
        // Only v6 geolocation: still read.
        var v6only = try cleanUSEvent()
        v6only = set(v6only, ["ip_info", "v4"], .null)
        #expect(EventSignals(event: v6only).ipCountry == "DE")
        // The raw time zone of the agent, when the event has no vpn_origin_timezone.
        let noOrigin = set(try cleanUSEvent(), ["vpn_origin_timezone"], .null)
        #expect(EventSignals(event: noOrigin).browserTimezone == nil)
        #expect(EventSignals(event: noOrigin, rawTimezone: "Europe/Paris").browserTimezone == "Europe/Paris")
    }

    @Test func billingCountry() throws {
        #expect(score(nil, billing: "us").codes == [])
        let s = score(nil, billing: "GB")
        #expect(s.codes == ["billing_country_mismatch"])
        #expect(s.score == BINScorer.Points.billingCountryMismatch)
    }

    @Test func prepaidAndCommercialCards() throws {
        let prepaid = try #require(RiskData.table.lookup("453748"))
        #expect(score(nil, record: prepaid).codes == ["prepaid_card"])
        var business = us
        business.brand = "Business Platinum"
        #expect(score(nil, record: business).codes == ["commercial_card"])
        #expect(score(nil, record: business).score == BINScorer.Points.commercial)
    }

    @Test func unknownBIN() {
        let s = BINScorer.score(BINScoreInput(bin: "999999", record: nil), timezones: RiskData.timezones)
        #expect(s.codes == ["unknown_bin"])
        #expect(s.score == BINScorer.Points.unknownBIN)
    }

    @Test func vpnProxyTorBot() throws {
        #expect(score(set(try cleanUSEvent(), ["vpn"], true)).codes == ["vpn"])
        #expect(score(set(try cleanUSEvent(), ["proxy"], true)).codes == ["proxy"])
        #expect(score(set(try cleanUSEvent(), ["ip_blocklist", "tor_node"], true)).codes == ["tor"])
        #expect(score(set(try cleanUSEvent(), ["bot"], "bad")).codes == ["bot"])
        #expect(score(set(try cleanUSEvent(), ["bot"], "good")).codes == [])
        let all = score(
            set(set(set(set(try cleanUSEvent(), ["vpn"], true), ["proxy"], true), ["ip_blocklist", "tor_node"], true), ["bot"], "bad"))
        #expect(all.score == 100)  // 20 + 15 + 30 + 40, capped
        #expect(all.level == .critical)
    }

    @Test func velocity() {
        #expect(score(nil, device: BINVelocity(lastHour: 2, lastDay: 4)).codes == [])
        #expect(score(nil, device: BINVelocity(lastHour: 3, lastDay: 3)).codes == ["many_cards_per_device"])
        #expect(score(nil, device: BINVelocity(lastHour: 1, lastDay: 5)).codes == ["many_cards_per_device"])
        #expect(score(nil, user: BINVelocity(lastHour: 4, lastDay: 4)).codes == ["many_cards_per_user"])
        let both = score(nil, device: BINVelocity(lastHour: 3, lastDay: 3), user: BINVelocity(lastHour: 3, lastDay: 3))
        #expect(both.score == BINScorer.Points.manyCardsPerDevice + BINScorer.Points.manyCardsPerUser)
        #expect(both.level == .high)
    }

    @Test func recordJSON() {
        let j = us.json
        #expect(j["iin_start"] == "341142")
        #expect(j["country"] == "US")
        #expect(j["prepaid"] == false)
        #expect(j["bank"]?["name"] == "AMERICAN EXPRESS")
        #expect(j["brand"] == .null)
    }
}
