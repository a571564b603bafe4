import ArgumentParser
import ArgusCore
import ArgusIdentification
import Foundation

/// `argus benchmark-engine`: the identification engine's cost per visit as
/// the number of known visitors grows (BENCHMARKS.md). Synthetic browsers:
/// 300 device models with Zipf popularity, regional languages and time
/// zones, household addresses; the timed visits are a realistic mix (most
/// with token, the rest returning without token from the same or another
/// address, and new browsers).
struct BenchmarkEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-engine", abstract: "Measure identification cost per visit (development tool).",
        shouldDisplay: false)

    @Option(help: "Known visitors before timing.") var visitors = 10_000
    @Option(help: "Timed visits.") var queries = 20_000
    @Option(help: "Random seed.") var seed: UInt64 = 1

    struct Device {
        var model: Int
        var region: Int
        var ip: String
        var screenExtra: Int
    }

    static let languages = [["en-US", "en"], ["de-DE", "de"], ["fr-FR"], ["es-ES", "es"], ["pt-BR"], ["ja-JP"], ["pl-PL"], ["it-IT"]]
    static let zones = ["America/New_York", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "America/Sao_Paulo", "Asia/Tokyo", "Europe/Warsaw", "Europe/Rome"]

    static func components(_ d: Device) -> Components {
        let m = d.model
        let json: JSON = [
            "userAgent": .string("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/\(140 + m % 8).0.0.0 Safari/537.36"),
            "platform": "Win32", "vendor": "Google Inc.", "languages": JSON(strings: languages[d.region]),
            "timezone": .string(zones[d.region]), "timezoneOffset": -60,
            "screen": ["width": .int(Int64(1280 + 160 * (m % 5) + d.screenExtra)), "height": 1080, "colorDepth": 24, "pixelRatio": 1],
            "hardwareConcurrency": .int(Int64(2 << (m % 4))), "deviceMemory": .int(Int64(4 << (m % 3))), "maxTouchPoints": 0,
            "canvas": .string("canvas-\(m % 97)"), "webglVendor": "Google Inc.", "webglRenderer": .string("GPU model \(m)"),
            "audio": .double(124.04 + Double(m % 13) * 1e-6), "fonts": JSON(strings: ["Arial", "Calibri", "Font \(m % 17)"]),
            "storageQuota": .int(Int64(100_000_000_000 + (m % 7) * 10_000_000_000)), "cookiesEnabled": true, "webdriver": false,
        ]
        return Components(raw: json.objectValue!)
    }

    func run() throws {
        var rng = SplitMix64(seed: seed)
        // Zipf-like model popularity over 300 models.
        let weights = (1...300).map { 1.0 / Double($0) }
        let total = weights.reduce(0, +)
        func model() -> Int {
            var x = Double.random(in: 0..<total, using: &rng)
            for (i, w) in weights.enumerated() {
                x -= w
                if x < 0 { return i }
            }
            return 299
        }
        func ip() -> String { "\(Int.random(in: 11...200, using: &rng)).\(Int.random(in: 0...255, using: &rng)).\(Int.random(in: 0...255, using: &rng)).\(Int.random(in: 1...254, using: &rng))" }
        func device() -> Device { Device(model: model(), region: Int.random(in: 0..<8, using: &rng), ip: ip(), screenExtra: Int.random(in: 0...3, using: &rng) * 320) }

        var engine = IdentificationEngine()
        var devices: [Device] = []
        var tokens: [TokenClaim] = []
        var counter: UInt64 = 0
        let fillStart = ContinuousClock.now
        for i in 0..<visitors {
            let d = device()
            let o = Observation(components: Self.components(d), clientIP: d.ip)
            let decision = engine.identify(o, token: nil, at: Int64(i), newVisitorID: { Identifiers.visitorID() }, newInstance: {
                counter += 1
                return counter
            })
            devices.append(d)
            tokens.append(TokenClaim(visitorID: decision.visitorID, instance: decision.instance))
        }
        let fill = ContinuousClock.now - fillStart

        // The timed mix: 75% token, 10% no token same address, 5% no token new address, 10% new browsers.
        var planned: [(Observation, TokenClaim?)] = []
        planned.reserveCapacity(queries)
        for _ in 0..<queries {
            let r = Int.random(in: 0..<100, using: &rng)
            let k = Int.random(in: 0..<devices.count, using: &rng)
            var d = devices[k]
            switch r {
            case 0..<75: planned.append((Observation(components: Self.components(d), clientIP: d.ip), tokens[k]))
            case 75..<85: planned.append((Observation(components: Self.components(d), clientIP: d.ip), nil))
            case 85..<90:
                d.ip = ip()
                planned.append((Observation(components: Self.components(d), clientIP: d.ip), nil))
            default:
                let n = device()
                planned.append((Observation(components: Self.components(n), clientIP: n.ip), nil))
            }
        }
        var candidates = 0
        let start = ContinuousClock.now
        for (i, (o, token)) in planned.enumerated() {
            let d = engine.identify(o, token: token, at: Int64(visitors + i), newVisitorID: { Identifiers.visitorID() }, newInstance: {
                counter += 1
                return counter
            })
            candidates += d.candidates
        }
        let elapsed = ContinuousClock.now - start
        let perVisit = elapsed.microseconds / Double(queries)

        // Observation construction (JSON components to features), per visit.
        let obsStart = ContinuousClock.now
        var sink: UInt64 = 0
        for k in 0..<min(queries, devices.count) {
            sink &+= Observation(components: Self.components(devices[k]), clientIP: devices[k].ip).look
        }
        let obsElapsed = ContinuousClock.now - obsStart
        let obsPer = obsElapsed.microseconds / Double(min(queries, devices.count))

        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let result: JSON = [
            "visitors": .int(Int64(engine.index.count)), "queries": .int(Int64(queries)),
            "identify_us": .double((perVisit * 100).rounded() / 100),
            "observation_and_components_us": .double((obsPer * 100).rounded() / 100),
            "mean_candidates": .double((Double(candidates) / Double(queries) * 10).rounded() / 10),
            "fill_s": .double(fill.seconds),
            "max_rss_mb": .int(Int64(usage.ru_maxrss / 1024)), "checksum": .int(Int64(sink & 0xFFFF)),
        ]
        print(JSONWriter.string(result))
    }
}
