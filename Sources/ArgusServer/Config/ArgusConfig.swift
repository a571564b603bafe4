import Foundation

/// Everything `argus` reads from flags and the environment (spec §9).
public struct ArgusConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds the SQLite database and, unless `ARGUS_MASTER_KEY` is set, the generated master key.
    public var dataDirectory = "./argus-data"
    /// `postgres://…`; nil: SQLite under `dataDirectory`.
    public var databaseURL: String?
    public var redisURL: String?
    /// base64 of 32 bytes; nil: generated once into `dataDirectory/master.key`.
    public var masterKey: String?
    /// `full` fsyncs every commit (survives power loss); `normal` survives process crashes.
    public var sqliteSynchronous = "normal"
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed.
    public var trustedProxies: [String] = []
    public var logLevel = "info"
    /// Server API requests a second per secret key (keys may set their own), and the burst above it.
    public var secretKeyRate = 50.0
    public var secretKeyBurst = 100.0
    /// `/v1/identify` requests a second per public key, and the burst (spec §8c: no per-IP limit by default).
    public var publicKeyRate = 2000.0
    public var publicKeyBurst = 4000.0
    /// `GET /demo/events/{id}` answers (see AgentController); nil: only when listening on loopback.
    public var demoEventsSetting: Bool?

    /// `ARGUS_BIN_TABLE`: a binlist-format CSV; nil: the bundled table (Resources/risk/bin-ranges.csv).
    public var binTablePath: String?
    /// `ARGUS_UPSTREAM_URL` (`…/v4`) and `ARGUS_UPSTREAM_KEY`: prefetch resolves events there instead of in Argus's own store.
    public var upstreamURL: String?
    public var upstreamKey: String?
    /// `ARGUS_PREFETCH_TTL`: seconds a prefetched event stays cached under `fp:prefetch:<request_id>`.
    public var prefetchTTLSeconds = 3600
    /// `ARGUS_PREFETCH_CACHE_ENTRIES`: bound of the embedded cache (used when `ARGUS_REDIS_URL` is unset).
    public var prefetchCacheEntries = 10_000

    public var demoEvents: Bool {
        demoEventsSetting ?? (host == "127.0.0.1" || host == "localhost" || host == "::1")
    }

    public init() {}

    /// Reads `ARGUS_*` variables over the defaults.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ArgusConfig {
        var c = ArgusConfig()
        if let v = env["ARGUS_HOST"], !v.isEmpty { c.host = v }
        if let v = env["ARGUS_PORT"], let p = Int(v) { c.port = p }
        if let v = env["ARGUS_DATA_DIR"], !v.isEmpty { c.dataDirectory = v }
        if let v = env["ARGUS_DATABASE_URL"], !v.isEmpty { c.databaseURL = v }
        if let v = env["ARGUS_REDIS_URL"], !v.isEmpty { c.redisURL = v }
        if let v = env["ARGUS_MASTER_KEY"], !v.isEmpty { c.masterKey = v }
        if let v = env["ARGUS_SQLITE_SYNCHRONOUS"], !v.isEmpty { c.sqliteSynchronous = v.lowercased() }
        if let v = env["ARGUS_TRUSTED_PROXIES"], !v.isEmpty {
            c.trustedProxies = v.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        }
        if let v = env["ARGUS_LOG_LEVEL"], !v.isEmpty { c.logLevel = v }
        if let v = env["ARGUS_SECRET_KEY_RATE"].flatMap(Double.init), v > 0 { c.secretKeyRate = v }
        if let v = env["ARGUS_SECRET_KEY_BURST"].flatMap(Double.init), v >= 1 { c.secretKeyBurst = v }
        if let v = env["ARGUS_PUBLIC_KEY_RATE"].flatMap(Double.init), v > 0 { c.publicKeyRate = v }
        if let v = env["ARGUS_PUBLIC_KEY_BURST"].flatMap(Double.init), v >= 1 { c.publicKeyBurst = v }
        if let v = env["ARGUS_DEMO_EVENTS"], !v.isEmpty { c.demoEventsSetting = v == "1" || v.lowercased() == "true" }
        if let v = env["ARGUS_BIN_TABLE"], !v.isEmpty { c.binTablePath = v }
        if let v = env["ARGUS_UPSTREAM_URL"], !v.isEmpty { c.upstreamURL = v }
        if let v = env["ARGUS_UPSTREAM_KEY"], !v.isEmpty { c.upstreamKey = v }
        if let v = env["ARGUS_PREFETCH_TTL"].flatMap(Int.init), v > 0 { c.prefetchTTLSeconds = v }
        if let v = env["ARGUS_PREFETCH_CACHE_ENTRIES"].flatMap(Int.init), v > 0 { c.prefetchCacheEntries = v }
        return c
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
