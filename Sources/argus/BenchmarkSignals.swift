import ArgumentParser
import ArgusCore
import ArgusSignals
import Foundation

/// `argus benchmark-signals`: the cost of all detectors per identify (with
/// velocity counting and IP lookups), and how often each signal fires on a
/// file of visits (JSON lines `{"private": bool, "components": {…}}`, such as
/// the evaluator's ordinary visits in Tests/ArgusSignalsTests/Fixtures).
struct BenchmarkSignals: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-signals", abstract: "Measure signal cost and firing rates (development tool).", shouldDisplay: false)

    @Option(help: "JSON lines of visits.") var visits = "Tests/ArgusSignalsTests/Fixtures/eval-visits-seed77.jsonl"
    @Option(help: "Passes over the visits for timing.") var rounds = 20
    @Option(help: "tor-geoipdb table for IP lookups (optional).") var ipCountryDB: String?
    @Option(help: "`location dump` text for ASN lookups (optional).") var ipASNDB: String?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: visits) else { throw ValidationError("cannot read \(visits)") }
        var rows: [(Bool, Components)] = []
        for line in Array(data).split(separator: UInt8(ascii: "\n")) {
            let o = try JSONParser.parse(Array(line))
            rows.append((o["private"]?.boolValue == true, Components(raw: o["components"]?.objectValue ?? JSONObject())))
        }
        var ip = IPIntelligence()
        if let p = ipCountryDB, let d = FileManager.default.contents(atPath: p) { try ip.loadCountries(torGeoIP: Array(d)) }
        if let p = ipASNDB, let d = FileManager.default.contents(atPath: p) { try ip.loadLocationDump(Array(d)) }
        if let d = FileManager.default.contents(atPath: "/usr/share/zoneinfo/zone.tab") { ip.loadZoneTab(Array(d)) }
        let velocity = VelocityTracker()
        let addresses = (0..<rows.count).map { "81.\($0 % 200).\(($0 / 200) % 250).\($0 % 97)" }

        // Firing rates (one pass).
        var fired: [String: Int] = [:]
        var privateVisits = 0
        var incognitoFound = 0
        for (i, (isPrivate, c)) in rows.enumerated() {
            let s = Signals.evaluate(SignalContext(components: c, userAgent: c.userAgent ?? "", ip: ip.facts(for: addresses[i]), zoneCountries: ip.zoneCountries))
            if isPrivate {
                privateVisits += 1
                if s.incognito { incognitoFound += 1 }
                continue
            }
            for (name, hit) in [
                ("bot_bad", s.bot == .bad), ("tampering", s.tampering), ("anti_detect_browser", s.antiDetectBrowser),
                ("incognito", s.incognito), ("developer_tools", s.developerTools), ("virtual_machine", s.virtualMachine),
                ("privacy_settings", s.privacySettings), ("risk_above_low", s.risk.level > .low),
            ] where hit {
                fired[name, default: 0] += 1
            }
        }
        // Timing: velocity + IP lookup + detectors + the event fields' JSON, as /v1/identify does it.
        var sink = 0
        let start = ContinuousClock.now
        for r in 0..<rounds {
            for (i, (_, c)) in rows.enumerated() {
                let t = Int64(r * rows.count + i) * 1000
                let facts = ip.hasIPData ? ip.facts(for: addresses[i]) : nil
                let counts = velocity.record(environmentID: "e", visitorID: "v\(i % 500)", ip: addresses[i], country: facts?.country, linkedID: nil, at: t)
                let s = Signals.evaluate(
                    SignalContext(components: c, userAgent: c.userAgent ?? "", ip: facts, zoneCountries: ip.zoneCountries, velocity: counts))
                sink &+= JSONWriter.bytes(.object(s.eventFields)).count
            }
        }
        let elapsed = ContinuousClock.now - start
        let n = Double(rounds * rows.count)
        let us = elapsed.microseconds / n
        let ordinary = rows.count - privateVisits
        var rates = JSONObject()
        for name in ["bot_bad", "tampering", "anti_detect_browser", "incognito", "developer_tools", "virtual_machine", "privacy_settings", "risk_above_low"] {
            rates.append(name, .double(Double(fired[name] ?? 0) / Double(max(1, ordinary))))
        }
        print(JSONWriter.string([
            "visits": .int(Int64(rows.count)), "ordinary_visits": .int(Int64(ordinary)), "private_visits": .int(Int64(privateVisits)),
            "incognito_recall": .double(Double(incognitoFound) / Double(max(1, privateVisits))),
            "false_positive_rates": .object(rates), "detectors": .int(Int64(Detectors.all.count)),
            "signals_us_per_identify": .double((us * 100).rounded() / 100), "bytes": .int(Int64(sink / Int(n))),
        ]))
    }
}
