import ArgumentParser
import ArgusCore
import ArgusPostgres
import ArgusSQLite
import ArgusStorage
import Foundation
import Logging

/// `argus benchmark-store`: a store's cost per identify write (event row,
/// visitor profile, device row, outbox check) with concurrent writers grouped
/// into transactions, as `/v1/identify` does it. SQLite in a temporary
/// directory, or PostgreSQL (`--database-url`) in a temporary schema dropped
/// after. Prints wall and CPU microseconds per event: this process's CPU, and
/// for PostgreSQL that of the server's processes on this machine (a local
/// server: every process named `postgres`, from /proc).
struct BenchmarkStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-store", abstract: "Measure a store's write path per event (development tool).",
        shouldDisplay: false)

    @Option(help: "Events to write.") var events = 40_000
    @Option(help: "Distinct visitors they belong to.") var visitors = 5_000
    @Option(help: "Concurrent writers.") var concurrency = 32
    @Option(help: "Size of the stored event document (bytes).") var documentBytes = 1_600
    @Option(help: "Size of a visitor profile (bytes).") var profileBytes = 1_100
    @Option(help: "The identify body stored with each event.") var body = "bench/components.json"
    @Option(help: "SQL run after migration (experiments: drop an index or trigger).") var sql: String?
    @Option(help: "A PostgreSQL URL (postgres://…): measure PostgreSQL, in a temporary schema, instead of SQLite.")
    var databaseURL: String?

    func run() async throws {
        let dir = NSTemporaryDirectory() + "argus-bench-store-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "argus-bench")
        logger.logLevel = .warning
        let store: any ArgusStore
        var postgres: (base: PostgresURL, schema: String)?
        if let databaseURL {
            let base = try PostgresURL(databaseURL)
            let schema = "bench_" + String(UUID().uuidString.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(12))
            try await PostgresStore.runOnce(base, "CREATE SCHEMA \(schema)", logger: logger)
            var url = base
            url.searchPath = schema
            let pg = try await PostgresStore.open(url, logger: logger)
            try await pg.migrate()
            if let sql { try await pg.executeRaw(sql) }
            store = pg
            postgres = (base, schema)
        } else {
            let sqlite = try SQLiteStore(directory: dir)
            try await sqlite.migrate()
            if let sql { try sqlite.execute(sql) }
            store = sqlite
        }
        try await store.createEnvironment(EnvironmentRecord(id: "env", name: "bench", createdAt: 0))
        let components = Array(FileManager.default.contents(atPath: body) ?? Data(repeating: 0x20, count: 4000))
        let document = Array(repeating: UInt8(ascii: "d"), count: documentBytes)
        let ids = (0..<visitors).map { _ in Identifiers.visitorID() }
        let profile = (0..<profileBytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let perWriter = events / concurrency
        let server0 = Self.postgresCPUSeconds()
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
        let server = Self.postgresCPUSeconds() - server0
        let n = Double(perWriter * concurrency)
        let wallUS = wall.microseconds / n
        var size = (try? FileManager.default.attributesOfItem(atPath: dir + "/argus.sqlite")[.size] as? Int) ?? 0
        if let pg = store as? PostgresStore, let postgres {
            size = Int(try await pg.schemaBytes())
            await pg.close()
            try await PostgresStore.runOnce(postgres.base, "DROP SCHEMA \(postgres.schema) CASCADE", logger: logger)
        }
        print(JSONWriter.string([
            "store": .string(postgres == nil ? "sqlite" : "postgresql"),
            "events": .int(Int64(n)), "wall_us_per_event": .double((wallUS * 10).rounded() / 10),
            "cpu_us_per_event": .double((cpu * 1e6 / n * 10).rounded() / 10),
            "server_cpu_us_per_event": .double(postgres == nil ? 0 : (server * 1e6 / n * 10).rounded() / 10),
            "events_per_second": .int(Int64(1e6 / wallUS)), "database_bytes_per_event": .int(Int64(Double(size) / n)),
        ]))
    }

    /// CPU time of the processes named `postgres` (a local PostgreSQL server's postmaster and
    /// backends; backends started during the run count from their start).
    static func postgresCPUSeconds() -> Double {
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var ticks = 0.0
        for pid in pids where pid.allSatisfy(\.isNumber) {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"),
                text[text.index(after: open)..<close] == "postgres"
            else { continue }
            // After the name: state is field 3, utime and stime fields 14 and 15.
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { continue }
            ticks += u + s
        }
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
