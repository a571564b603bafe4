import ArgusCore
import ArgusSignals
import ArgusStorage
import Foundation
import Logging
import Synchronization

/// Computes every event's smart signals: loads the IP data files once,
/// keeps the velocity counters, verifies crawlers by DNS (cached), and runs
/// the detectors of `ArgusSignals`.
public final class SignalService: Sendable {
    public let ipData: IPIntelligence
    public let velocity: VelocityTracker
    /// Counters shared by every instance (`ARGUS_REDIS_URL`); `velocity` answers when Redis does not.
    let sharedVelocity: RedisVelocity?
    let logger: Logger
    let resolver: any CrawlerResolver
    /// Crawler verdicts by address and crawler, for an hour; bounded.
    let crawlerVerdicts = Mutex<[String: (CrawlerVerification, Int64)]>([:])
    static let crawlerCacheLimit = 10_000

    public init(
        ipData: IPIntelligence = IPIntelligence(), velocity: VelocityTracker = VelocityTracker(),
        sharedVelocity: RedisVelocity? = nil, resolver: any CrawlerResolver = SystemResolver(),
        logger: Logger = Logger(label: "argus")
    ) {
        self.ipData = ipData
        self.velocity = velocity
        self.sharedVelocity = sharedVelocity
        self.logger = logger
        self.resolver = resolver
    }

    /// The signals of one visit. `lookPopulation`: rarity from identification.
    func evaluate(
        environmentID: String, visitorID: String, components: Components, userAgent: String, clientIP: String, linkedID: String?,
        tokenMismatch: Bool, lookPopulation: (same: Int, total: Int)?, at now: Int64
    ) async -> Signals {
        let facts = ipData.hasIPData ? ipData.facts(for: clientIP) : nil
        let counts = await countVelocity(
            environmentID: environmentID, visitorID: visitorID, ip: clientIP, country: facts?.country, linkedID: linkedID, at: now)
        var verification: CrawlerVerification?
        if let crawler = Crawlers.claimed(by: userAgent) { verification = await verify(crawler, address: clientIP, now: now) }
        let context = SignalContext(
            components: components, userAgent: userAgent, ip: facts, zoneCountries: ipData.zoneCountries,
            tokenMismatch: tokenMismatch, velocity: counts, crawlerVerification: verification, lookPopulation: lookPopulation)
        return Signals.evaluate(context)
    }

    func verify(_ crawler: Crawlers.Crawler, address: String, now: Int64) async -> CrawlerVerification {
        let key = crawler.name + " " + address
        if let (cached, at) = crawlerVerdicts.withLock({ $0[key] }), now - at < 3_600_000 { return cached }
        let resolver = self.resolver
        let verdict = await Crawlers.verify(
            address: address, crawler: crawler, reverse: { await resolver.hostnames(of: $0) }, forward: { await resolver.addresses(of: $0) })
        crawlerVerdicts.withLock { cache in
            if cache.count >= Self.crawlerCacheLimit { cache.removeAll() }
            cache[key] = (verdict, now)
        }
        return verdict
    }

    /// The event's velocity counts: from Redis when it is configured (every instance's events),
    /// else, or when Redis does not answer, from this instance's own counters, which count
    /// every event either way so that they are warm when needed.
    func countVelocity(
        environmentID: String, visitorID: String, ip: String, country: String?, linkedID: String?, at now: Int64
    ) async -> VelocityCounts {
        let local = velocity.record(
            environmentID: environmentID, visitorID: visitorID, ip: ip, country: country, linkedID: linkedID, at: now)
        guard let sharedVelocity else { return local }
        do {
            return try await sharedVelocity.record(
                environmentID: environmentID, visitorID: visitorID, ip: ip, country: country, linkedID: linkedID, at: now)
        } catch {
            logger.warning("velocity: Redis did not answer; this instance's own counts used", metadata: ["error": "\(error)"])
            return local
        }
    }

    /// Forgets a visitor's velocity counters (erasure), here and in Redis. If Redis does not
    /// answer, its keys of the visitor still expire a day after its last event (logged).
    func forget(environmentID: String, visitorID: String) async {
        velocity.forget(environmentID: environmentID, visitorID: visitorID)
        guard let sharedVelocity else { return }
        do {
            try await sharedVelocity.forget(environmentID: environmentID, visitorID: visitorID)
        } catch {
            logger.warning(
                "velocity: could not erase a visitor's counters in Redis; they expire a day after its last event",
                metadata: ["error": "\(error)"])
        }
    }
}

/// Reverse and forward DNS, for verifying crawlers. Injectable for tests.
public protocol CrawlerResolver: Sendable {
    func hostnames(of address: String) async -> [String]
    func addresses(of host: String) async -> [String]
}

/// The system resolver (getnameinfo / getaddrinfo), run off the event loops.
public struct SystemResolver: CrawlerResolver {
    public init() {}

    public func hostnames(of address: String) async -> [String] {
        await Task.detached {
            guard let ip = IPNumber(address) else { return [] }
            var host = [CChar](repeating: 0, count: 1025)
            let rc: Int32
            if ip.isV6 {
                var sa = sockaddr_in6()
                sa.sin6_family = sa_family_t(AF_INET6)
                _ = inet_pton(AF_INET6, address, &sa.sin6_addr)
                rc = Self.nameInfo(sa, into: &host)
            } else {
                var sa = sockaddr_in()
                sa.sin_family = sa_family_t(AF_INET)
                _ = inet_pton(AF_INET, address, &sa.sin_addr)
                rc = Self.nameInfo(sa, into: &host)
            }
            guard rc == 0 else { return [] }
            return [String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)]
        }.value
    }

    /// getnameinfo for a `sockaddr_in` or `sockaddr_in6`: the name it must have (NI_NAMEREQD).
    static func nameInfo<Address>(_ address: Address, into host: inout [CChar]) -> Int32 {
        let capacity = socklen_t(host.count)
        return withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<Address>.size), &host, capacity, nil, 0, NI_NAMEREQD)
            }
        }
    }

    public func addresses(of host: String) async -> [String] {
        await Task.detached {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
            defer { freeaddrinfo(first) }
            var out: [String] = []
            var p: UnsafeMutablePointer<addrinfo>? = first
            while let ai = p {
                var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                if ai.pointee.ai_family == AF_INET {
                    ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        var a = sin.pointee.sin_addr
                        _ = inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
                    }
                } else if ai.pointee.ai_family == AF_INET6 {
                    ai.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                        var a = sin.pointee.sin6_addr
                        _ = inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
                    }
                }
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !text.isEmpty { out.append(text) }
                p = ai.pointee.ai_next
            }
            return out
        }.value
    }
}

/// Reads the IP data files named in the configuration (spec §9).
enum IPDataLoader {
    static func load(_ config: ArgusConfig, logger: Logger) throws -> IPIntelligence {
        var ip = IPIntelligence()
        func read(_ path: String, _ setting: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("\(setting): cannot read \(path)")
            }
            return Array(data)
        }
        /// MMDB files end with their metadata, which starts with this marker.
        let mmdbMarker: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        func isMMDB(_ bytes: [UInt8]) -> Bool { bytes.suffix(128 * 1024).firstRange(of: mmdbMarker) != nil }
        do {
            for path in config.ipCountryDB {
                let bytes = try read(path, "ARGUS_IP_COUNTRY_DB")
                if isMMDB(bytes) {
                    throw ConfigurationError("ARGUS_IP_COUNTRY_DB: \(path) is a MaxMind MMDB, which this build does not read; use Debian tor-geoipdb's /usr/share/tor/geoip,/usr/share/tor/geoip6")
                }
                try ip.loadCountries(torGeoIP: bytes)
            }
            if let path = config.ipASNDB {
                let bytes = try read(path, "ARGUS_IP_ASN_DB")
                if isMMDB(bytes) {
                    throw ConfigurationError("ARGUS_IP_ASN_DB: \(path) is a MaxMind MMDB, which this build does not read; use `location dump` output (Debian libloc-database)")
                }
                try ip.loadLocationDump(bytes)
            }
            if let path = config.torExits { ip.loadTorExits(try read(path, "ARGUS_TOR_EXITS")) }
            if let path = config.datacenterRanges { try ip.loadDatacenterRanges(try read(path, "ARGUS_DATACENTER_RANGES")) }
            if let path = config.zoneTab ?? (FileManager.default.fileExists(atPath: ArgusConfig.systemZoneTab) ? ArgusConfig.systemZoneTab : nil) {
                ip.loadZoneTab(try read(path, "ARGUS_ZONE_TAB"))
            }
        } catch let error as IPDataError {
            throw ConfigurationError("IP data: \(error)")
        }
        if ip.hasIPData { logger.info("IP data loaded", metadata: ["zones": "\(ip.zoneCountries.count)"]) }
        return ip
    }
}

extension SignalService {
    /// Refills the velocity counters from the last 24 hours of stored events
    /// (oldest first), so that a restart does not reset them. Best effort:
    /// run in the background after the server listens; events arriving
    /// meanwhile are counted as usual. Stops after `limit` events.
    public func warmUpVelocity(store: any ArgusStore, now: Int64, limit: Int = 2_000_000, logger: Logger) async {
        var loaded = 0
        do {
            for environment in try await store.environments() {
                var cursor: EventCursor?
                while loaded < limit {
                    let page = try await store.searchEvents(
                        EventQuery(environmentID: environment.id, start: now - 86_400_000, end: now, reverse: true, limit: 1000, after: cursor))
                    for e in page {
                        _ = velocity.record(
                            environmentID: e.environmentID, visitorID: e.visitorID, ip: e.ipAddress, country: e.country,
                            linkedID: e.linkedID, at: e.timestamp)
                    }
                    loaded += page.count
                    guard page.count == 1000, let last = page.last else { break }
                    cursor = EventCursor(timestamp: last.timestamp, id: last.id)
                }
            }
            if loaded > 0 { logger.info("velocity counters restored", metadata: ["events": "\(loaded)"]) }
        } catch {
            logger.warning("could not restore velocity counters", metadata: ["error": "\(error)"])
        }
    }
}
