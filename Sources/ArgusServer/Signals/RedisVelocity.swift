import ArgusRedis
import ArgusSignals

/// Velocity counters in Redis, so that several instances count every event of a visitor, an
/// address or a linked id, wherever its request landed (`ARGUS_REDIS_URL`). Same counts as the
/// in-memory `VelocityTracker`, which stays the fallback: one EVAL per event does all of it.
///
/// Per key (visitor, address, linked id) Redis holds:
/// - event counts as three rings of time buckets in one hash (6 minutes, 13 five-minute spans,
///   25 hours; a bucket's count is replaced when its ring wraps), as `BucketSeries` does;
/// - distinct values (addresses, countries, linked ids, visitors) as a sorted set scored by the
///   time each was last seen, at most 32 of them, as `RecentDistinct` does.
///
/// Every key expires a day after its last event. Times are the events' own (the server's clock
/// when the event was received), so instances agree as far as their clocks do.
public final class RedisVelocity: Sendable {
    let client: RedisClient
    let prefix: String

    public init(client: RedisClient, prefix: String = "argus:vel:") {
        self.client = client
        self.prefix = prefix
    }

    static let distinctCapacity = 32
    static let keep = 86_400_000 + 3_600_000

    /// KEYS: visitor events, visitor addresses, visitor countries, visitor linked ids, address
    /// events, linked id's addresses, linked id's visitors. ARGV: time (ms), address, country,
    /// linked id, visitor id ('' when absent), the distinct capacity, the expiry (ms).
    /// Returns 21 integers: distinct addresses, events, address events, distinct countries,
    /// distinct linked ids, linked id's addresses, linked id's visitors (5 min, 1 h, 24 h each);
    /// -1 where a count does not apply.
    static let script = """
        local t = tonumber(ARGV[1])
        local cap = tonumber(ARGV[6])
        local keep = tonumber(ARGV[7])
        local rings = {{'m', 60000, 6, 4}, {'f', 300000, 13, 11}, {'h', 3600000, 25, 23}}
        local function series(key)
          for _, r in ipairs(rings) do
            local slot = math.floor(t / r[2])
            local i = slot % r[3]
            local sf, cf = r[1] .. 's' .. i, r[1] .. 'c' .. i
            if tonumber(redis.call('HGET', key, sf) or '-1') ~= slot then
              redis.call('HSET', key, sf, slot, cf, 1)
            else
              redis.call('HINCRBY', key, cf, 1)
            end
          end
          local h = redis.call('HGETALL', key)
          local f = {}
          for j = 1, #h, 2 do f[h[j]] = tonumber(h[j + 1]) end
          local out = {}
          for _, r in ipairs(rings) do
            local first = math.floor(t / r[2]) - r[4]
            local sum = 0
            for i = 0, r[3] - 1 do
              local s = f[r[1] .. 's' .. i]
              if s and s >= first then sum = sum + (f[r[1] .. 'c' .. i] or 0) end
            end
            out[#out + 1] = sum
          end
          redis.call('PEXPIRE', key, keep)
          return out
        end
        local function distinct(key, member)
          local seen = tonumber(redis.call('ZSCORE', key, member))
          if seen == nil then
            if redis.call('ZCARD', key) >= cap then redis.call('ZPOPMIN', key) end
            redis.call('ZADD', key, t, member)
          elseif seen < t then
            redis.call('ZADD', key, t, member)
          end
          redis.call('PEXPIRE', key, keep)
          return {redis.call('ZCOUNT', key, t - 300000, '+inf'), redis.call('ZCOUNT', key, t - 3600000, '+inf'),
                  redis.call('ZCOUNT', key, t - 86400000, '+inf')}
        end
        local none = {-1, -1, -1}
        local ips = distinct(KEYS[2], ARGV[2])
        local events = series(KEYS[1])
        local ipEvents = series(KEYS[5])
        local countries = none
        if ARGV[3] ~= '' then countries = distinct(KEYS[3], ARGV[3]) end
        local linked, linkedIPs, linkedVisitors = none, none, none
        if ARGV[4] ~= '' then
          linked = distinct(KEYS[4], ARGV[4])
          linkedIPs = distinct(KEYS[6], ARGV[2])
          linkedVisitors = distinct(KEYS[7], ARGV[5])
        end
        local out = {}
        for _, c in ipairs({ips, events, ipEvents, countries, linked, linkedIPs, linkedVisitors}) do
          for _, n in ipairs(c) do out[#out + 1] = n end
        end
        return out
        """

    /// Counts the event and returns the counters including it. Throws when Redis does not answer.
    public func record(
        environmentID: String, visitorID: String, ip: String, country: String?, linkedID: String?, at t: Int64
    ) async throws -> VelocityCounts {
        let visitor = visitorKey(environmentID, visitorID)
        let linked = prefix + "l:" + environmentID + ":" + (linkedID ?? "")
        let keys = [
            visitor + ":e", visitor + ":ip", visitor + ":co", visitor + ":l", prefix + "i:" + environmentID + ":" + ip,
            linked + ":ip", linked + ":v",
        ]
        let reply = try await client.eval(
            Self.script, keys: keys,
            arguments: [
                String(t), ip, country ?? "", linkedID ?? "", visitorID, String(Self.distinctCapacity), String(Self.keep),
            ])
        guard case .array(let items?) = reply, items.count == 21 else {
            throw RedisVelocityError("unexpected reply to the velocity script: \(reply)")
        }
        let n = items.map { $0.int ?? -1 }
        func window(_ i: Int) -> WindowCounts? {
            n[i] < 0 ? nil : WindowCounts(Int(n[i]), Int(n[i + 1]), Int(n[i + 2]))
        }
        guard let ips = window(0), let events = window(3), let ipEvents = window(6) else {
            throw RedisVelocityError("the velocity script returned no event counts")
        }
        return VelocityCounts(
            distinctIP: ips, distinctLinkedID: window(12), distinctCountry: window(9), events: events,
            ipEvents: ipEvents, distinctIPByLinkedID: window(15), distinctVisitorByLinkedID: window(18))
    }

    /// Forgets a visitor's counters (erasure).
    public func forget(environmentID: String, visitorID: String) async throws {
        let visitor = visitorKey(environmentID, visitorID)
        _ = try await client.del([visitor + ":e", visitor + ":ip", visitor + ":co", visitor + ":l"])
    }

    func visitorKey(_ environmentID: String, _ visitorID: String) -> String {
        prefix + "v:" + environmentID + ":" + visitorID
    }
}

struct RedisVelocityError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
