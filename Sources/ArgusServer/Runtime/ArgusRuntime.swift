import ArgusCore
import ArgusIdentification
import ArgusPostgres
import ArgusRedis
import ArgusSignals
import ArgusSQLite
import ArgusStorage
import Crypto
import Foundation
import Logging
import Prometheus
import Synchronization

/// The long-lived parts of one Argus process, shared by the HTTP app, the
/// workers and the CLI: the store, the keys, the clock and the metrics.
public final class ArgusRuntime: Sendable {
    public let config: ArgusConfig
    public let store: any ArgusStore
    public let keyRing: KeyRing
    public let rateLimiter: RateLimiter
    /// The Device API's per-IP and per-tenant+IP limits (spec §6); in memory unless another implementation is given.
    public let requestLimiter: any RequestLimiter
    public let tokenSigner: VisitorTokenSigner
    public let secretBox: SecretBox
    /// Signs Server API pagination keys (opaque, tamper-proof).
    let paginationKey: SymmetricKey
    public let identifier: any VisitorIdentifier
    public let metrics: PrometheusCollectorRegistry
    public let clock: ArgusClock
    public let logger: Logger
    public let agentAssets: AgentAssets
    public let signals: SignalService
    /// Ingest, prefetch and BIN scoring (spec §7).
    public let prefetch: PrefetchPipeline
    /// Seals per encryption key since the last flush to the store.
    let pendingSeals = Mutex<[String: Int64]>([:])

    public init(
        config: ArgusConfig, store: any ArgusStore, masterKey: SymmetricKey,
        identifier: (any VisitorIdentifier)? = nil, signals: SignalService? = nil,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        clock: ArgusClock = .system, logger: Logger = Logger(label: "argus"), requestLimiter: (any RequestLimiter)? = nil
    ) throws {
        self.config = config
        self.agentAssets = try AgentAssets.load()
        self.store = store
        self.tokenSigner = VisitorTokenSigner(masterKey: masterKey)
        self.secretBox = SecretBox(masterKey: masterKey)
        self.paginationKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey, info: Data("argus pagination v1".utf8), outputByteCount: 32)
        self.keyRing = KeyRing(store: store, clock: clock)
        self.rateLimiter = RateLimiter(clock: clock, capacity: config.rateLimitTableCapacity)
        if let requestLimiter {
            self.requestLimiter = requestLimiter
        } else if let url = config.redisURL {
            self.requestLimiter = RedisRequestLimiter(client: try RedisClient(url), logger: logger)
        } else {
            self.requestLimiter = BoundedGCRALimiter(clock: clock, capacity: config.rateLimitTableCapacity)
        }
        self.identifier = try identifier ?? FuzzyIdentifier(store: store, model: config.decisionModel())
        self.signals = try signals ?? SignalService(
            ipData: IPDataLoader.load(config, logger: logger), velocity: VelocityTracker(capacity: config.velocityCapacity))
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.prefetch = try PrefetchPipeline(config: config, store: store, clock: clock, logger: logger)
    }

    /// Opens the configured store (migrating it) and the master key.
    public static func open(
        _ config: ArgusConfig, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        clock: ArgusClock = .system, logger: Logger = Logger(label: "argus"), resolver: (any CrawlerResolver)? = nil
    ) async throws -> ArgusRuntime {
        _ = try config.decisionModel()
        let store: any ArgusStore
        let masterKey: SymmetricKey
        if let url = config.databaseURL {
            (store, masterKey) = try await openPostgres(url, config: config, logger: logger)
        } else {
            guard let synchronous = SQLiteStore.Synchronous(rawValue: config.sqliteSynchronous.uppercased()) else {
                throw ConfigurationError("ARGUS_SQLITE_SYNCHRONOUS must be 'normal' or 'full'")
            }
            let sqlite = try SQLiteStore(directory: config.dataDirectory, synchronous: synchronous)
            try await sqlite.migrate()
            store = sqlite
            masterKey = try MasterKeyLoader.load(config: config, logger: logger)
        }
        do {
            let signals = try SignalService(
                ipData: IPDataLoader.load(config, logger: logger), velocity: VelocityTracker(capacity: config.velocityCapacity),
                sharedVelocity: try config.redisURL.map { RedisVelocity(client: try RedisClient($0)) },
                resolver: resolver ?? SystemResolver(), logger: logger)
            return try ArgusRuntime(
                config: config, store: store, masterKey: masterKey, signals: signals, metrics: metrics, clock: clock, logger: logger)
        } catch {
            await store.close()
            throw error
        }
    }

    /// Several instances on one PostgreSQL database: the URL is checked with one direct connection
    /// (a clear error within seconds), the schema migrated, and the master key must be given by
    /// `ARGUS_MASTER_KEY` (every instance seals, signs and unseals with the same key; a key file in
    /// one instance's data directory would differ from the next one's). The database remembers a
    /// check value of the first key it saw and refuses an instance started with another.
    static func openPostgres(_ url: String, config: ArgusConfig, logger: Logger) async throws -> (any ArgusStore, SymmetricKey) {
        guard PostgresURL.isPostgres(url) else {
            let scheme = url.split(separator: ":").first.map(String.init) ?? url
            throw ConfigurationError(
                "ARGUS_DATABASE_URL must be a postgres:// or postgresql:// URL, not \(scheme)://…; unset it to use the embedded SQLite store")
        }
        let parsed: PostgresURL
        do {
            parsed = try PostgresURL(url)
        } catch let error as PostgresURL.Invalid {
            throw ConfigurationError(error.description)
        }
        guard config.masterKey != nil else {
            throw ConfigurationError(
                "ARGUS_MASTER_KEY is required with ARGUS_DATABASE_URL: every instance on the database must use the same master key "
                    + "(base64 of 32 bytes, e.g. `head -c 32 /dev/urandom | base64`; keep it safe)")
        }
        let masterKey = try MasterKeyLoader.load(config: config, logger: logger)
        let store = try await PostgresStore.open(parsed, logger: logger)
        do {
            try await store.migrate()
            let check = MasterKeyLoader.checkValue(masterKey)
            let stored = try await store.settingInsertIfAbsent(MasterKeyLoader.checkSetting, value: check)
            guard stored == check else {
                throw ConfigurationError(
                    "ARGUS_MASTER_KEY is not the master key this database was set up with (\(parsed)): "
                        + "every instance must use the same key")
            }
        } catch {
            await store.close()
            throw error
        }
        logger.info("store: PostgreSQL", metadata: ["url": .string(parsed.description)])
        return (store, masterKey)
    }

    /// Releases the store (PostgreSQL: closes its connections). Call once, when the process stops.
    public func shutdown() async {
        await flushSealCounts()
        await store.close()
    }
}

extension ArgusRuntime {
    func countSeal(keyID: String) {
        pendingSeals.withLock { $0[keyID, default: 0] += 1 }
    }

    /// Writes the seal counts gathered since the last flush (kept for the next try if the store fails).
    public func flushSealCounts() async {
        let counts = pendingSeals.withLock { counts -> [String: Int64] in
            defer { counts.removeAll() }
            return counts
        }
        guard !counts.isEmpty else { return }
        do {
            try await store.addSealCounts(counts)
        } catch {
            pendingSeals.withLock { pending in for (k, n) in counts { pending[k, default: 0] += n } }
            logger.warning("could not store seal counts", metadata: ["error": "\(error)"])
        }
    }
}

/// Milliseconds since the Unix epoch; injectable for tests.
public struct ArgusClock: Sendable {
    public let nowMs: @Sendable () -> Int64

    public init(nowMs: @escaping @Sendable () -> Int64) { self.nowMs = nowMs }

    public static let system = ArgusClock { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

enum MasterKeyLoader {
    static let fileName = "master.key"
    /// The setting that holds `checkValue` of the master key a shared database was set up with.
    static let checkSetting = "master_key_check"

    /// Identifies a key without revealing it: HMAC-SHA256 of a fixed label.
    static func checkValue(_ key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("argus master key check v1".utf8), using: key))
    }

    static func load(config: ArgusConfig, logger: Logger) throws -> SymmetricKey {
        if let text = config.masterKey {
            guard let key = MasterKeyFormat.parse(text) else {
                throw ConfigurationError("ARGUS_MASTER_KEY must be base64 of exactly 32 bytes")
            }
            return key
        }
        let path = (config.dataDirectory as NSString).appendingPathComponent(fileName)
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let key = MasterKeyFormat.parse(text) else {
                throw ConfigurationError("\(path) does not hold base64 of 32 bytes")
            }
            return key
        }
        let (key, text) = MasterKeyFormat.generate()
        // Create exclusively with mode 0600 so that two processes starting at once agree on one key.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            if errno == EEXIST { return try load(config: config, logger: logger) }
            throw ConfigurationError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let bytes = Array((text + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count else { throw ConfigurationError("cannot write \(path)") }
        logger.notice(
            "generated a new master key", metadata: ["path": .string(path), "hint": "back it up; or set ARGUS_MASTER_KEY"])
        return key
    }
}

extension ArgusConfig {
    /// The identification engine's decision model for `matchPolicy`.
    public func decisionModel() throws -> DecisionModel {
        guard let policy = MatchPolicy(rawValue: matchPolicy.lowercased()) else {
            throw ConfigurationError("ARGUS_MATCH_POLICY must be 'auto', 'household' or 'fleet', not '\(matchPolicy)'")
        }
        return DecisionModel(policy: policy)
    }
}
