import ArgusCore

extension Signals {
    /// The v4 Event fields of these signals, in a fixed order (appended to
    /// the event after its core fields), plus Argus's `risk` object.
    public var eventFields: JSONObject {
        var o = JSONObject()
        o.append("bot", .string(bot.rawValue))
        if let botType { o.append("bot_type", .string(botType)) }
        o.append("incognito", .bool(incognito))
        o.append("tampering", .bool(tampering))
        o.append("tampering_confidence", .string(Self.confidence(anomalyScore, threshold: 0.5)))
        o.append("tampering_details", ["anomaly_score": .double(anomalyScore), "anti_detect_browser": .bool(antiDetectBrowser)])
        o.append("developer_tools", .bool(developerTools))
        o.append("virtual_machine", .bool(virtualMachine))
        o.append("privacy_settings", .bool(privacySettings))
        if let ip {
            o.append("ip_info", ipInfo(ip))
            if let tor { o.append("ip_blocklist", ["email_spam": false, "attack_source": false, "tor_node": .bool(tor)]) }
        }
        if let proxy {
            o.append("proxy", .bool(proxy))
            o.append("proxy_confidence", proxy ? "medium" : "high")
            if proxy { o.append("proxy_details", ["proxy_type": .string(proxyType ?? "unknown")]) }
        }
        if let vpn {
            o.append("vpn", .bool(vpn))
            o.append("vpn_confidence", vpn ? (vpnMethods["public_vpn"] == true ? "high" : "medium") : "high")
            if let vpnOriginTimezone { o.append("vpn_origin_timezone", .string(vpnOriginTimezone)) }
            if let vpnOriginCountry { o.append("vpn_origin_country", .string(vpnOriginCountry)) }
            var methods = JSONObject()
            for key in ["timezone_mismatch", "public_vpn"] { methods.append(key, .bool(vpnMethods[key] ?? false)) }
            o.append("vpn_methods", .object(methods))
        }
        if let velocity { o.append("velocity", Self.json(velocity)) }
        o.append("high_activity_device", .bool(highActivity))
        if let rareDevice { o.append("rare_device", .bool(rareDevice)) }
        o.append("suspect_score", .int(Int64(suspectScore)))
        o.append(
            "risk",
            [
                "score": .int(Int64(risk.score)), "level": .string(risk.level.rawValue), "confidence": .double(risk.confidence),
                "flags": .array(risk.flags.map { .string($0) }),
            ])
        return o
    }

    static func confidence(_ score: Double, threshold: Double) -> String {
        let distance = abs(score - threshold)
        return distance >= 0.3 ? "high" : (distance >= 0.15 ? "medium" : "low")
    }

    func ipInfo(_ ip: IPFacts) -> JSON {
        var v = JSONObject()
        v.append("address", .string(ip.address))
        if let country = ip.country { v.append("geolocation", ["country_code": .string(country)]) }
        if let asn = ip.asn {
            v.append("asn", .string(String(asn)))
            if let name = ip.asnName { v.append("asn_name", .string(name)) }
            if let net = ip.asnNetwork { v.append("asn_network", .string(net)) }
            if ip.datacenter == true { v.append("asn_type", "hosting") }
        }
        if let dc = ip.datacenter {
            v.append("datacenter_result", .bool(dc))
            v.append("datacenter_name", .string(ip.datacenterName ?? ""))
        }
        var o = JSONObject()
        o.append(ip.isV6 ? "v6" : "v4", .object(v))
        return .object(o)
    }

    static func json(_ v: VelocityCounts) -> JSON {
        // v4: the 24 h distinct counts are omitted above 20,000 events a day.
        let busy = v.events.day > 20_000
        func data(_ w: WindowCounts, distinct: Bool) -> JSON {
            var o = JSONObject()
            o.append("5_minutes", .int(Int64(w.fiveMinutes)))
            o.append("1_hour", .int(Int64(w.oneHour)))
            if !(distinct && busy) { o.append("24_hours", .int(Int64(w.day))) }
            return .object(o)
        }
        var o = JSONObject()
        o.append("distinct_ip", data(v.distinctIP, distinct: true))
        if let w = v.distinctLinkedID { o.append("distinct_linked_id", data(w, distinct: true)) }
        if let w = v.distinctCountry { o.append("distinct_country", data(w, distinct: true)) }
        o.append("events", data(v.events, distinct: false))
        o.append("ip_events", data(v.ipEvents, distinct: false))
        if let w = v.distinctIPByLinkedID { o.append("distinct_ip_by_linked_id", data(w, distinct: true)) }
        if let w = v.distinctVisitorByLinkedID { o.append("distinct_visitor_id_by_linked_id", data(w, distinct: true)) }
        return .object(o)
    }
}
