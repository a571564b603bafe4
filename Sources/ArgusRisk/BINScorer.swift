import ArgusCore

/// What the BIN scorer reads from a v4 event (Fingerprint's Server API names).
public struct EventSignals: Sendable, Equatable {
    public var eventID: String?
    public var visitorID: String?
    /// `ip_info.v4.geolocation.country_code`, else v6's.
    public var ipCountry: String?
    /// `ip_info.v4|v6.geolocation.timezone`.
    public var ipTimezone: String?
    /// The browser's own time zone: `vpn_origin_timezone`, else the raw zone the agent sent.
    public var browserTimezone: String?
    public var vpn = false
    public var proxy = false
    public var tor = false
    /// `bot == "bad"`.
    public var badBot = false

    public init() {}

    /// Reads the signals of a v4 event; `rawTimezone` is the zone the agent reported (components), used
    /// when the event has no `vpn_origin_timezone`.
    public init(event: JSON, rawTimezone: String? = nil) {
        eventID = event["event_id"]?.stringValue
        visitorID = event["identification"]?["visitor_id"]?.stringValue
        for family in ["v4", "v6"] {
            guard let geo = event["ip_info"]?[family]?["geolocation"] else { continue }
            if ipCountry == nil, let c = geo["country_code"]?.stringValue, !c.isEmpty { ipCountry = c.uppercased() }
            if ipTimezone == nil, let t = geo["timezone"]?.stringValue, !t.isEmpty { ipTimezone = t }
        }
        if let t = event["vpn_origin_timezone"]?.stringValue, !t.isEmpty {
            browserTimezone = t
        } else if let rawTimezone, !rawTimezone.isEmpty {
            browserTimezone = rawTimezone
        }
        vpn = event["vpn"]?.boolValue ?? false
        proxy = event["proxy"]?.boolValue ?? false
        tor = event["ip_blocklist"]?["tor_node"]?.boolValue ?? false
        badBot = event["bot"]?.stringValue == "bad"
    }
}

/// Distinct BINs seen for one device or one user, including the one being scored.
public struct BINVelocity: Sendable, Equatable {
    public var lastHour: Int
    public var lastDay: Int
    public init(lastHour: Int, lastDay: Int) {
        self.lastHour = lastHour
        self.lastDay = lastDay
    }
    public var json: JSON { ["distinct_bins_1h": .int(Int64(lastHour)), "distinct_bins_24h": .int(Int64(lastDay))] }
}

/// Everything one score is computed from.
public struct BINScoreInput: Sendable {
    public var bin: String
    public var record: BINRecord?
    /// nil: no prefetched event (weaker correlation, never an error).
    public var event: EventSignals?
    public var billingCountry: String?
    public var deviceVelocity: BINVelocity?
    public var userVelocity: BINVelocity?

    public init(
        bin: String, record: BINRecord?, event: EventSignals? = nil, billingCountry: String? = nil,
        deviceVelocity: BINVelocity? = nil, userVelocity: BINVelocity? = nil
    ) {
        self.bin = bin
        self.record = record
        self.event = event
        self.billingCountry = billingCountry
        self.deviceVelocity = deviceVelocity
        self.userVelocity = userVelocity
    }
}

/// One reason that raised the score.
public struct BINReason: Sendable, Equatable {
    public let code: String
    public let points: Int
    public let detail: String
}

public struct BINScore: Sendable, Equatable {
    public let score: Int
    public let reasons: [BINReason]
    public var level: RiskLevel { RiskLevel(score: score) }
    public var codes: [String] { reasons.map(\.code) }
}

/// The BIN risk score (spec §7): the sum of the points of every reason that applies, capped at 100.
/// Points and thresholds are documented in docs/ingest-and-bin.md; change both together.
public enum BINScorer {
    public enum Points {
        public static let unknownBIN = 15
        public static let binCountryIPMismatch = 25
        public static let binCountryTimezoneMismatch = 15
        public static let ipTimezoneMismatch = 10
        public static let billingCountryMismatch = 15
        public static let prepaid = 20
        public static let commercial = 10
        public static let vpn = 20
        public static let proxy = 15
        public static let tor = 30
        public static let bot = 40
        public static let manyCardsPerDevice = 35
        public static let manyCardsPerUser = 30
    }

    /// Distinct BINs (including the scored one) from which velocity counts as card testing.
    public static let distinctBINsPerHour = 3
    public static let distinctBINsPerDay = 5

    public static func score(_ input: BINScoreInput, timezones: TimezoneCountries) -> BINScore {
        var reasons: [BINReason] = []
        func add(_ code: String, _ points: Int, _ detail: String) { reasons.append(BINReason(code: code, points: points, detail: detail)) }

        let binCountry = input.record?.country
        if let record = input.record {
            if record.prepaid { add("prepaid_card", Points.prepaid, "the BIN belongs to a prepaid card") }
            if record.isCommercial { add("commercial_card", Points.commercial, "the BIN belongs to a commercial card (\(record.brand ?? ""))") }
        } else {
            add("unknown_bin", Points.unknownBIN, "the BIN is not in the BIN table")
        }
        if let billing = input.billingCountry?.uppercased(), let binCountry, billing != binCountry {
            add("billing_country_mismatch", Points.billingCountryMismatch, "billing country \(billing), card country \(binCountry)")
        }
        if let e = input.event {
            let tzCountry = e.browserTimezone.flatMap(timezones.country)
            if let ip = e.ipCountry, let binCountry, ip != binCountry {
                add("bin_country_ip_mismatch", Points.binCountryIPMismatch, "card country \(binCountry), IP country \(ip)")
            }
            if let tz = tzCountry, let binCountry, tz != binCountry {
                add(
                    "bin_country_timezone_mismatch", Points.binCountryTimezoneMismatch,
                    "card country \(binCountry), browser time zone \(e.browserTimezone ?? "") (\(tz))")
            }
            if let tz = tzCountry, let ip = e.ipCountry, tz != ip {
                add("ip_timezone_mismatch", Points.ipTimezoneMismatch, "IP country \(ip), browser time zone \(e.browserTimezone ?? "") (\(tz))")
            }
            if e.vpn { add("vpn", Points.vpn, "the event used a VPN") }
            if e.proxy { add("proxy", Points.proxy, "the event came through a proxy") }
            if e.tor { add("tor", Points.tor, "the event came from a Tor exit node") }
            if e.badBot { add("bot", Points.bot, "the event was made by a bad bot") }
        }
        if let v = input.deviceVelocity, v.lastHour >= distinctBINsPerHour || v.lastDay >= distinctBINsPerDay {
            add("many_cards_per_device", Points.manyCardsPerDevice, "\(v.lastHour) BINs in 1 h, \(v.lastDay) in 24 h on this device")
        }
        if let v = input.userVelocity, v.lastHour >= distinctBINsPerHour || v.lastDay >= distinctBINsPerDay {
            add("many_cards_per_user", Points.manyCardsPerUser, "\(v.lastHour) BINs in 1 h, \(v.lastDay) in 24 h for this user")
        }
        let total = reasons.reduce(0) { $0 + $1.points }
        return BINScore(score: min(100, total), reasons: reasons)
    }
}
