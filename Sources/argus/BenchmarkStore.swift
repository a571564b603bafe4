import ArgumentParser
import ArgusCore
import ArgusSQLite
import ArgusStorage
import Foundation

/// `argus benchmark-store`: the embedded store's cost per identify write
/// (event row, visitor profile, device row, outbox check) with concurrent
/// writers grouped into transactions, as `/v1/identify` does it. Prints wall
/// and CPU microseconds per event.
struct BenchmarkStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-store", abstract: "Measure the SQLite write path per event (development tool).",
        shouldDisplay: false)

    @Option(help: "Events to write.") var events = 40_000
    @Option(help: "Distinct visitors they belong to.") var visitors = 5_000
    @Option(help: "Concurrent writers.") var concurrency = 32
    @Option(help: "Size of the stored event document (bytes).") var documentBytes = 1_600
    @Option(help: "Size of a visitor profile (bytes).") var profileBytes = 1_100
    @Option(help: "The identify body stored with each event.") var body = "bench/components.json"
    @Option(help: "SQL run after migration (experiments: drop an index or trigger).") var sql: String?

    func run() async throws {
        let dir = NSTemporaryDirectory() + "argus-bench-store-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        try await store.migrate()
        if let sql { try store.execute(sql) }
        try await store.createEnvironment(EnvironmentRecord(id: "env", name: "bench", createdAt: 0))
        let components = Array(FileManager.default.contents(atPath: body) ?? Data(repeating: 0x20, count: 4000))
        let document = Array(repeating: UInt8(ascii: "d"), count: documentBytes)
        let ids = (0..<visitors).map { _ in Identifiers.visitorID() }
        let profile = (0..<profileBytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let perWriter = events / concurrency
        let cpu0 = Self.cpuSeconds()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<concurrency {
                group.addTask {
                    for i in 0..<perWriter {
                        let n = w * perWriter + i
                        let t = Int64(1_700_000_000_000 + n)
                        let v = ids[n % ids.count]
                        try await store.recordEvent(
                            StoredEvent(
                                id: Identifiers.eventID(timestampMs: t), environmentID: "env", visitorID: v, timestamp: t,
                                linkedID: nil, ipAddress: "81.\(n % 200).\(n % 7).\(n % 250)", document: document,
                                components: components),
                            visitor: VisitorRecord(
                                environmentID: "env", id: v, firstSeenAt: t, lastSeenAt: t, eventCount: 1, profile: profile))
                    }
                }
            }
            try await group.waitForAll()
        }
        let wall = ContinuousClock.now - start
        let cpu = Self.cpuSeconds() - cpu0
        let n = Double(perWriter * concurrency)
        let wallUS = wall.microseconds / n
        let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/argus.sqlite")[.size] as? Int) ?? 0
        print(JSONWriter.string([
            "events": .int(Int64(n)), "wall_us_per_event": .double((wallUS * 10).rounded() / 10),
            "cpu_us_per_event": .double((cpu * 1e6 / n * 10).rounded() / 10),
            "events_per_second": .int(Int64(1e6 / wallUS)), "database_bytes_per_event": .int(Int64(Double(size) / n)),
        ]))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
