import ArgusRedis
import Logging

/// GCRA in Redis, so that several instances share one budget per key (spec
/// §6: limits shared across instances when Redis is configured). One EVAL per
/// request: the script reads the key's theoretical arrival time, decides, and
/// stores the new one with an expiry at the moment the budget is whole again,
/// so Redis holds a key only while it is spending. Time comes from Redis's own
/// clock (`TIME`): instances with skewed clocks still agree.
///
/// When Redis does not answer, requests are let through (logged): an outage
/// of the limiter's store must not take the API down with it.
public final class RedisRequestLimiter: RequestLimiter {
    let client: RedisClient
    let prefix: String
    let logger: Logger

    static let script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local interval = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local tat = tonumber(redis.call('GET', KEYS[1]) or now)
        if tat < now then tat = now end
        if tat - now > tolerance then
          return math.ceil((tat - tolerance - now) / 1000000)
        end
        local nextTat = tat + interval
        redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / 1000) + 1)
        return 0
        """

    public init(client: RedisClient, prefix: String = "argus:rl:", logger: Logger) {
        self.client = client
        self.prefix = prefix
        self.logger = logger
    }

    public func acquire(_ key: String, limit: Int, periodSeconds: Int) async throws -> Int? {
        let period = Int64(max(1, periodSeconds)) * 1_000_000
        let interval = max(1, period / Int64(max(1, limit)))
        do {
            let reply = try await client.eval(
                Self.script, keys: [prefix + key], arguments: [String(interval), String(period - interval)])
            guard let wait = reply.int else { return nil }
            return wait > 0 ? Int(max(1, wait)) : nil
        } catch {
            logger.warning("rate limiter: Redis did not answer; request let through", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
