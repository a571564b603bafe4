import ArgusCore
import ArgusRedis
import ArgusRisk
import ArgusStorage
import Foundation
import Logging
import ServiceLifecycle

/// Ingest, prefetch and BIN scoring (spec §7): the BIN table, the cache, the event source and the
/// prefetch task runner. The worker (`PrefetchWorker`) calls `runDue()`; tests call it by hand.
public final class PrefetchPipeline: Sendable {
    public static let keyPrefix = "fp:prefetch:"
    /// An event not found (yet: ingest may race the identify) is tried this many times.
    public static let maxNotFoundAttempts = 6
    /// A source or cache that fails is tried this many times.
    public static let maxAttempts = 10
    /// A claimed task is skipped by other instances for this long.
    public static let leaseMs: Int64 = 10_000

    public let binTable: BINTable
    public let timezones: TimezoneCountries
    public let cache: any PrefetchCache
    public let source: any PrefetchEventSource
    public let redis: RedisClient?
    let store: any ArgusStore
    let clock: ArgusClock
    let logger: Logger
    public let ttlSeconds: Int

    public init(config: ArgusConfig, store: any ArgusStore, clock: ArgusClock, logger: Logger) throws {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.ttlSeconds = config.prefetchTTLSeconds
        binTable = try Self.loadBINTable(path: config.binTablePath)
        timezones = try Self.loadTimezones()
        if let url = config.redisURL {
            let client = try RedisClient(url)
            redis = client
            cache = RedisPrefetchCache(client: client)
        } else {
            redis = nil
            cache = EmbeddedPrefetchCache(capacity: config.prefetchCacheEntries, clock: clock)
        }
        switch (config.upstreamURL, config.upstreamKey) {
        case (let url?, let key?):
            source = UpstreamEventSource(baseURL: url, secretKey: key)
        case (nil, nil):
            source = StoreEventSource(store: store)
        default:
            throw ConfigurationError("ARGUS_UPSTREAM_URL and ARGUS_UPSTREAM_KEY go together: set both or neither")
        }
    }

    /// The BIN table at `path` (`ARGUS_BIN_TABLE`), else the bundled one.
    public static func loadBINTable(path: String?) throws -> BINTable {
        guard let path else { return try bundledBINTable.get() }
        let csv: String
        do {
            csv = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("ARGUS_BIN_TABLE: cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try BINTable(csv: csv)
        } catch {
            throw ConfigurationError("ARGUS_BIN_TABLE: \(error)")
        }
    }

    /// The bundled time zone → country table.
    public static func loadTimezones() throws -> TimezoneCountries { try bundledTimezones.get() }

    /// Parsed once per process (every runtime of a test process shares them).
    static let bundledBINTable = Result<BINTable, any Error> {
        do {
            return try BINTable(csv: try resource("bin-ranges", "csv"))
        } catch {
            throw ConfigurationError("the bundled BIN table: \(error)")
        }
    }
    static let bundledTimezones = Result<TimezoneCountries, any Error> { TimezoneCountries(tsv: try resource("zone-countries", "tsv")) }

    static func resource(_ name: String, _ ext: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "risk") else {
            throw ConfigurationError("the bundled \(name).\(ext) is missing")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    public static func cacheKey(_ requestID: String) -> String { keyPrefix + requestID }

    /// The delay before attempt `attempt + 1`: 0.5 s doubling, at most 30 s.
    static func backoffMs(afterAttempt attempt: Int) -> Int64 {
        min(30_000, 500 << Int64(min(max(attempt - 1, 0), 10)))
    }

    /// Runs every task due now (claimed with a lease); returns how many ran.
    @discardableResult
    public func runDue(limit: Int = 32) async -> Int {
        let now = clock.nowMs()
        let tasks: [PrefetchTask]
        do {
            tasks = try await store.claimDuePrefetches(now: now, leaseUntil: now + Self.leaseMs, limit: limit)
        } catch {
            logger.warning("prefetch: cannot claim tasks", metadata: ["error": "\(error)"])
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for task in tasks { group.addTask { await self.run(task) } }
        }
        return tasks.count
    }

    func run(_ claimed: PrefetchTask) async {
        var task = claimed
        task.attempts += 1
        let key = Self.cacheKey(task.requestID)
        do {
            if let document = try await source.event(id: task.requestID, environmentID: task.environmentID) {
                let fetchedAt = clock.nowMs()
                let value = Self.cacheValue(task, fetchedAt: fetchedAt, event: document)
                try await cache.put(key, value, ttlSeconds: ttlSeconds)
                task.status = .done
                task.fetchedAt = fetchedAt
                task.result = value
                task.lastError = nil
            } else {
                retryOrFail(&task, error: "event_not_found: no event \(task.requestID) (\(source.kind))", limit: Self.maxNotFoundAttempts)
            }
        } catch {
            retryOrFail(&task, error: "\(error)", limit: Self.maxAttempts)
        }
        task.updatedAt = clock.nowMs()
        do {
            try await store.updatePrefetch(task)
        } catch {
            // The lease runs out and the task runs again.
            logger.warning("prefetch: cannot save the task", metadata: ["request_id": "\(task.requestID)", "error": "\(error)"])
        }
        if task.status == .failed {
            logger.notice("prefetch failed", metadata: ["request_id": "\(task.requestID)", "error": "\(task.lastError ?? "")"])
        }
    }

    func retryOrFail(_ task: inout PrefetchTask, error: String, limit: Int) {
        task.lastError = String(error.prefix(500))
        if task.attempts >= limit {
            task.status = .failed
        } else {
            task.nextAttemptAt = clock.nowMs() + Self.backoffMs(afterAttempt: task.attempts)
        }
    }

    /// `{"request_id","subscriber_id","session_id","user_id","fetched_at","event":{…}}`, the event's bytes as fetched.
    static func cacheValue(_ task: PrefetchTask, fetchedAt: Int64, event: [UInt8]) -> [UInt8] {
        var head = JSONWriter.bytes([
            "request_id": .string(task.requestID), "subscriber_id": .int(task.subscriberID), "session_id": .string(task.sessionID),
            "user_id": .string(task.userID), "fetched_at": .int(fetchedAt),
        ])
        head.removeLast()  // the closing brace
        head.append(contentsOf: #","event":"#.utf8)
        head.append(contentsOf: event)
        head.append(UInt8(ascii: "}"))
        return head
    }

    /// The cached value for a task: the cache, else the task's own copy while it is within the TTL
    /// (the embedded cache does not survive a restart; the task row does).
    func cachedValue(_ task: PrefetchTask) async -> [UInt8]? {
        do {
            if let v = try await cache.get(Self.cacheKey(task.requestID)) { return v }
        } catch {
            logger.warning("prefetch cache unavailable", metadata: ["error": "\(error)"])
        }
        guard task.status == .done, let fetchedAt = task.fetchedAt, fetchedAt + Int64(ttlSeconds) * 1000 > clock.nowMs() else {
            return nil
        }
        return task.result
    }
}

/// Runs due prefetch tasks every 100 ms until shutdown.
public struct PrefetchWorker: Service {
    let pipeline: PrefetchPipeline

    public init(pipeline: PrefetchPipeline) { self.pipeline = pipeline }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await pipeline.runDue() == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
        }
    }
}
