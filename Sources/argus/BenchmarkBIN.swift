import ArgumentParser
import ArgusCore
import ArgusRisk
import ArgusServer
import Foundation

/// `argus benchmark-bin`: the cost of one BIN lookup in the loaded table and of one score
/// (lookup + scoring on a v4 event's signals), without HTTP or storage.
struct BenchmarkBIN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-bin", abstract: "Measure BIN lookup and scoring cost (development tool).", shouldDisplay: false)

    @Option(help: "Lookups to time.") var count = 1_000_000
    @Option(help: "A binlist-format CSV (default: ARGUS_BIN_TABLE, else the bundled table).") var table: String?

    func run() throws {
        let start = ContinuousClock.now
        let bins = try PrefetchPipeline.loadBINTable(path: table ?? ArgusConfig.fromEnvironment().binTablePath)
        let loadMs = (ContinuousClock.now - start).microseconds / 1000
        let timezones = try PrefetchPipeline.loadTimezones()
        // Real rows (6 and 8 digits, ranges) and misses, cycled.
        let probes = bins.records.prefix(4096).map { r in r.iinStart.count == 8 ? r.iinStart : r.iinStart + "42" }
            + (0..<1024).map { String(format: "%08d", ($0 &* 7_919_993) % 100_000_000) }
        var hits = 0
        let t0 = ContinuousClock.now
        for i in 0..<count where bins.lookup(probes[i % probes.count]) != nil { hits += 1 }
        let lookupUs = (ContinuousClock.now - t0).microseconds / Double(count)

        var signals = EventSignals()
        signals.visitorID = "Ibk1527CUFmcnjLwIs4A9"
        signals.ipCountry = "CZ"
        signals.browserTimezone = "Europe/Berlin"
        signals.proxy = true
        var total = 0
        let scores = max(1, count / 10)
        let t1 = ContinuousClock.now
        for i in 0..<scores {
            let bin = probes[i % probes.count]
            total &+= BINScorer.score(
                BINScoreInput(bin: bin, record: bins.lookup(bin), event: signals, deviceVelocity: BINVelocity(lastHour: 1, lastDay: 2)),
                timezones: timezones
            ).score
        }
        let scoreUs = (ContinuousClock.now - t1).microseconds / Double(scores)
        print(JSONWriter.string([
            "rows": .int(Int64(bins.count)), "load_ms": .double((loadMs * 10).rounded() / 10), "lookups": .int(Int64(count)),
            "hit_ratio": .double((Double(hits) / Double(count) * 1000).rounded() / 1000),
            "lookup_us": .double((lookupUs * 1000).rounded() / 1000), "lookup_and_score_us": .double((scoreUs * 1000).rounded() / 1000),
            "checksum": .int(Int64(total)),
        ]))
    }
}
