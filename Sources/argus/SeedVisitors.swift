import ArgumentParser
import ArgusCore
import ArgusIdentification
import ArgusPostgres
import ArgusSQLite
import ArgusServer
import ArgusStorage
import Foundation

/// `argus seed-visitors`: fills a data directory's environment with `count` known visitors
/// shaped like the HTTP benchmark's browsers (bench/components.json with canvas `%016x` of
/// 0..<count, one household address each), through the identification engine, so that a
/// server started on it holds them in its index and its store. `scripts/bench-scale` uses it
/// to compare the cost of an identify at 10 thousand and at 1 million stored visitors.
struct SeedVisitors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-visitors", abstract: "Store a synthetic population of visitors (development tool).",
        shouldDisplay: false)

    @OptionGroup var store: StoreOptions
    @Option(help: "Visitors to create.") var count = 10_000
    @Option(help: "Environment name.") var environment = "default"
    @Option(help: "The agent's components (a JSON object).") var components = "bench/components.json"

    func run() async throws {
        try await runCommand {
            guard let data = FileManager.default.contents(atPath: components),
                case .object(let base) = try JSONParser.parse(Array(data))
            else { throw ValidationError("cannot read \(components)") }
            let config = store.config()
            // The configured store: the data directory's SQLite file, or ARGUS_DATABASE_URL's PostgreSQL.
            let sqlite: SQLiteStore?
            let postgres: PostgresStore?
            if let url = config.databaseURL {
                postgres = try await PostgresStore.open(try PostgresURL(url))
                sqlite = nil
            } else {
                sqlite = try SQLiteStore(directory: config.dataDirectory)
                postgres = nil
            }
            let target: any ArgusStore = sqlite ?? postgres!
            try await target.migrate()
            guard let env = try await target.environment(named: environment) else {
                throw ValidationError("no environment '\(environment)' (run `argus bootstrap` first)")
            }
            var engine = IdentificationEngine()
            var records: [VisitorRecord] = []
            records.reserveCapacity(count)
            let start = ContinuousClock.now
            for i in 0..<count {
                var raw = base
                raw["canvas"] = .string(String(format: "%016x", i))
                let ip = "81.\((i >> 16) & 255).\((i >> 8) & 255).\(i & 255)"
                let t = Int64(1_700_000_000_000 + i)
                let d = engine.identify(
                    Observation(components: Components(raw: raw), clientIP: ip), token: nil, at: t,
                    newVisitorID: Identifiers.visitorID, newInstance: { UInt64(i + 1) })
                records.append(VisitorRecord(environmentID: env.id, profile: d.profile))
            }
            let identified = ContinuousClock.now - start
            if let sqlite { try await sqlite.seedVisitors(records) }
            if let postgres {
                try await postgres.seedVisitors(records)
                await postgres.close()
            }
            let distinct = Set(records.map(\.id)).count
            print(JSONWriter.string([
                "visits": .int(Int64(count)), "visitors": .int(Int64(distinct)),
                "identify_s": .double(identified.seconds), "total_s": .double((ContinuousClock.now - start).seconds),
            ]))
        }
    }
}
