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
    /// An identify over that budget whose turn comes within this many milliseconds is held until
    /// then rather than refused (`RateLimiter.admit`): a browser is identified a little later
    /// instead of not at all. 0: refuse at once.
    public var publicKeyMaxHoldMs: Int64 = 100
    /// `/v1/identify` requests a second per client address within an environment (the address the
    /// request is identified from: a proxy integration's `FPJS-Proxy-Client-IP`, a trusted proxy's
    /// `X-Forwarded-For`, else the peer), and the burst; 0: no such limit (the default, spec §8c:
    /// offices and carrier NAT put thousands of browsers behind one address). A burst of 0 means
    /// twice the rate. Requests over it are held as over the key's budget (`publicKeyMaxHoldMs`).
    public var clientIPRate = 0.0
    public var clientIPBurst = 0.0
    /// The per-address burst in force: `clientIPBurst`, or twice the rate when that is 0; at least 1.
    var clientIPBurstInForce: Double { max(1, clientIPBurst > 0 ? clientIPBurst : 2 * clientIPRate) }
    /// `GET /demo/events/{id}` answers (see AgentController); nil: only when listening on loopback.
    public var demoEventsSetting: Bool?
    /// Device API (spec §6) rate limits, requests a minute: per client IP for requests not bound to a tenant
    /// (no valid secret key), and per tenant (the key's environment, or the workspace) and IP for the others.
    public var deviceGlobalPerMinute = 20
    public var deviceTenantPerMinute = 100
    /// Keys the in-memory rate-limit table holds at most (memory bound under a flood of addresses).
    public var rateLimitTableCapacity = 100_000
    /// Seconds between retention runs (purge of events and devices older than each environment's retention).
    public var retentionIntervalSeconds = 3600
    /// Rows deleted per transaction by the retention job (short transactions: identify keeps its latency).
    public var retentionBatchSize = 500
    /// Rows per database page of `GET /v1/exports/fingerprints` (the export's memory bound).
    public var exportPageSize = 1000

    /// IP → country tables (Debian tor-geoipdb `geoip`/`geoip6`), comma-separated.
    public var ipCountryDB: [String] = []
    /// IP → ASN/owner/anonymous-proxy: the text of `location dump` (Debian libloc-database).
    public var ipASNDB: String?
    /// Tor exit addresses, one a line.
    public var torExits: String?
    /// Datacenter networks, `CIDR[,name]` a line.
    public var datacenterRanges: String?
    /// tzdata zone.tab (time zone → countries); nil: the system's when present.
    public var zoneTab: String?
    public static let systemZoneTab = "/usr/share/zoneinfo/zone.tab"
    /// Velocity keys kept per kind (visitors, IPs, linked ids); about 0.7 KB each.
    public var velocityCapacity = 200_000
    /// `ARGUS_MATCH_POLICY`: `auto` (default), `household` or `fleet` (docs/identification.md, "Match policy").
    public var matchPolicy = "auto"
    /// How often an instance sharing its database takes in the visitors other instances wrote
    /// (`ARGUS_CHANGE_POLL_MS`; `VisitorChangeFollower`).
    public var changePollMs = 200

    /// Webhooks may target loopback/private/link-local addresses (`ARGUS_WEBHOOK_ALLOW_PRIVATE=1`; tests).
    public var webhookAllowPrivate = false
    /// Webhook requests in flight per instance (`ARGUS_WEBHOOK_CONCURRENCY`).
    public var webhookConcurrency = 32
    /// Timeout of one webhook request (`ARGUS_WEBHOOK_TIMEOUT_MS`, at most 25 s: it must end well inside the lease).
    public var webhookTimeoutMs: Int64 = 10_000
    /// How long a claimed delivery belongs to its instance; a dead instance's claims return after it.
    public var webhookLeaseMs: Int64 = 30_000
    /// How often an idle dispatcher looks for due deliveries.
    public var webhookPollMs: Int64 = 250

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
        if let v = env["ARGUS_CLIENT_IP_RATE"].flatMap(Double.init), v >= 0 { c.clientIPRate = v }
        if let v = env["ARGUS_CLIENT_IP_BURST"].flatMap(Double.init), v >= 0 { c.clientIPBurst = v }
        if let v = env["ARGUS_PUBLIC_KEY_MAX_HOLD_MS"].flatMap(Int64.init), (0...10_000).contains(v) { c.publicKeyMaxHoldMs = v }
        if let v = env["ARGUS_IP_COUNTRY_DB"], !v.isEmpty { c.ipCountryDB = v.split(separator: ",").map(String.init) }
        if let v = env["ARGUS_IP_ASN_DB"], !v.isEmpty { c.ipASNDB = v }
        if let v = env["ARGUS_TOR_EXITS"], !v.isEmpty { c.torExits = v }
        if let v = env["ARGUS_DATACENTER_RANGES"], !v.isEmpty { c.datacenterRanges = v }
        if let v = env["ARGUS_ZONE_TAB"], !v.isEmpty { c.zoneTab = v }
        if let v = env["ARGUS_VELOCITY_CAPACITY"].flatMap(Int.init), v >= 100 { c.velocityCapacity = v }
        if let v = env["ARGUS_MATCH_POLICY"], !v.isEmpty { c.matchPolicy = v }
        if let v = env["ARGUS_CHANGE_POLL_MS"].flatMap(Int.init), v >= 10 { c.changePollMs = v }
        if let v = env["ARGUS_DEMO_EVENTS"], !v.isEmpty { c.demoEventsSetting = v == "1" || v.lowercased() == "true" }
        if let v = env["ARGUS_DEVICE_GLOBAL_RATE_PER_MINUTE"].flatMap(Int.init), v > 0 { c.deviceGlobalPerMinute = v }
        if let v = env["ARGUS_DEVICE_TENANT_RATE_PER_MINUTE"].flatMap(Int.init), v > 0 { c.deviceTenantPerMinute = v }
        if let v = env["ARGUS_RATE_LIMIT_TABLE_CAPACITY"].flatMap(Int.init), v >= 4 { c.rateLimitTableCapacity = v }
        if let v = env["ARGUS_RETENTION_INTERVAL_SECONDS"].flatMap(Int.init), v > 0 { c.retentionIntervalSeconds = v }
        if let v = env["ARGUS_RETENTION_BATCH_SIZE"].flatMap(Int.init), v > 0 { c.retentionBatchSize = v }
        if let v = env["ARGUS_EXPORT_PAGE_SIZE"].flatMap(Int.init), (1...10_000).contains(v) { c.exportPageSize = v }
        if let v = env["ARGUS_WEBHOOK_ALLOW_PRIVATE"], !v.isEmpty { c.webhookAllowPrivate = v == "1" || v.lowercased() == "true" }
        if let v = env["ARGUS_WEBHOOK_CONCURRENCY"].flatMap(Int.init), v >= 1 { c.webhookConcurrency = v }
        if let v = env["ARGUS_WEBHOOK_TIMEOUT_MS"].flatMap(Int64.init), v >= 100, v <= 25_000 { c.webhookTimeoutMs = v }
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
