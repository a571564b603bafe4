import Foundation
import NIOCore
import Testing

@testable import ArgusRedis

/// The Redis that `scripts/test` starts (Debian's redis-server on a loopback port). By hand:
/// `redis-server --port 6390 --save '' &` then `ARGUS_TEST_REDIS_URL=redis://127.0.0.1:6390 swift test --filter Redis`.
enum TestRedis {
    static let url = ProcessInfo.processInfo.environment["ARGUS_TEST_REDIS_URL"]
    static var configured: Bool { url != nil }
    static func key(_ name: String) -> String { "argus-test:\(UUID().uuidString):\(name)" }
}

@Suite struct RESPTests {
    func decodeAll(_ text: String) throws -> [RESPValue] {
        var buffer = ByteBuffer(string: text)
        var out: [RESPValue] = []
        while let v = try RESP.decode(&buffer) { out.append(v) }
        #expect(buffer.readableBytes == 0)
        return out
    }

    @Test func repliesOfEveryType() throws {
        let values = try decodeAll("+OK\r\n-ERR wrong\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n:1\r\n*1\r\n$0\r\n\r\n*-1\r\n")
        #expect(values == [
            .simpleString("OK"), .error("ERR wrong"), .integer(42), .bulkString(Array("hello".utf8)), .bulkString(nil),
            .array([.integer(1), .array([.bulkString([])])]), .array(nil),
        ])
    }

    @Test func partialRepliesWaitForMoreBytes() throws {
        let whole = "*2\r\n$3\r\nfoo\r\n$4\r\nba\r\n\r\n"
        for cut in 1..<whole.utf8.count {
            var buffer = ByteBuffer(bytes: Array(whole.utf8.prefix(cut)))
            #expect(try RESP.decode(&buffer) == nil, "cut at \(cut)")
            #expect(buffer.readerIndex == 0)
        }
        var buffer = ByteBuffer(string: whole)
        // Binary-safe: the bulk string holds CR LF.
        #expect(try RESP.decode(&buffer) == .array([.bulkString(Array("foo".utf8)), .bulkString(Array("ba\r\n".utf8))]))
    }

    @Test func malformedRepliesThrow() {
        for bad in ["?x\r\n", ":12a\r\n", "$-2\r\n", "+OK\rX"] {
            var buffer = ByteBuffer(string: bad)
            #expect(throws: RedisError.self, "\(bad)") { try RESP.decode(&buffer) }
        }
    }

    @Test func commandsAreArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESP.encode([Array("SET".utf8), Array("k".utf8), Array("a b".utf8)], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n")
    }

    @Test func urls() throws {
        #expect(try RedisURL("redis://127.0.0.1:6390") == RedisURL(host: "127.0.0.1", port: 6390))
        #expect(try RedisURL("redis://:s3cret@cache.internal/3") == RedisURL(host: "cache.internal", database: 3, password: "s3cret"))
        #expect(try RedisURL("redis://app:pw@h:1/0") == RedisURL(host: "h", port: 1, user: "app", password: "pw"))
        #expect(throws: RedisError.self) { try RedisURL("http://127.0.0.1:6379") }
        #expect(throws: RedisError.self) { try RedisURL("redis://127.0.0.1/x") }
    }
}

/// Against the real redis-server (see `TestRedis`).
@Suite(.enabled(if: TestRedis.configured, "set ARGUS_TEST_REDIS_URL (scripts/test does)"))
struct RedisServerTests {
    let client = try! RedisClient(TestRedis.url ?? "redis://127.0.0.1:1")

    @Test func getSetDelExpire() async throws {
        let k = TestRedis.key("a")
        #expect(try await client.get(k) == nil)
        #expect(try await client.set(k, Array("v1".utf8)))
        #expect(try await client.get(k) == Array("v1".utf8))
        #expect(try await client.ttl(k) == -1)
        // NX keeps the existing value.
        #expect(try await !client.set(k, Array("v2".utf8), onlyIfAbsent: true))
        #expect(try await client.get(k) == Array("v1".utf8))
        #expect(try await client.expire(k, seconds: 100))
        let ttl = try await client.ttl(k)
        #expect(ttl > 90 && ttl <= 100)
        #expect(try await client.del([k, TestRedis.key("missing")]) == 1)
        #expect(try await client.get(k) == nil)
        #expect(try await !client.expire(k, seconds: 10))
        // SET … EX.
        try await client.set(k, [0, 13, 10, 255], expireSeconds: 30)
        #expect(try await client.get(k) == [0, 13, 10, 255])
        #expect(try await client.ttl(k) > 25)
        try await client.del([k])
        await client.close()
    }

    @Test func concurrentPipelinedIncrements() async throws {
        let k = TestRedis.key("counter")
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<1000 { group.addTask { try await client.incr(k) } }
            var seen = Set<Int64>()
            for try await v in group { seen.insert(v) }
            // Every caller got its own reply, in order on its connection.
            #expect(seen == Set(1...1000))
        }
        #expect(try await client.incr(k, by: -1000) == 0)
        try await client.del([k])
        await client.close()
    }

    @Test func evalRunsLuaAtomically() async throws {
        let k = TestRedis.key("bucket")
        // A fixed-window limiter: INCR, EXPIRE on the first hit, answer the count.
        let script = "local n = redis.call('INCR', KEYS[1]); if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end; return n"
        for i in 1...3 {
            #expect(try await client.eval(script, keys: [k], arguments: ["3600"]).int == Int64(i))
        }
        // Set once, by the first call: the whole suite runs in parallel and a loaded machine may
        // hold this task for seconds between the calls, so the bound leaves minutes.
        #expect((3000...3600).contains(try await client.ttl(k)))
        let pair = try await client.eval("return {KEYS[1], ARGV[1]}", keys: ["x"], arguments: ["y"])
        #expect(pair == .array([.bulkString(Array("x".utf8)), .bulkString(Array("y".utf8))]))
        try await client.del([k])
        await client.close()
    }

    @Test func errorRepliesThrowAndTheConnectionGoesOn() async throws {
        let k = TestRedis.key("s")
        try await client.set(k, Array("text".utf8))
        await #expect(throws: RedisError.self) { try await client.incr(k) }
        await #expect(throws: RedisError.self) { try await client.send("NOSUCHCOMMAND") }
        #expect(try await client.get(k) == Array("text".utf8))
        try await client.del([k])
        await client.close()
    }

    @Test func reconnectsAfterTheServerClosesTheConnection() async throws {
        let one = RedisClient(url: try RedisURL(TestRedis.url!), connections: 1)
        try await one.ping()
        // QUIT: Redis answers OK and closes the connection.
        #expect(try await one.send("QUIT") == .simpleString("OK"))
        try await Task.sleep(for: .milliseconds(50))
        try await one.ping()
        await one.close()
    }

    @Test func selectsTheDatabaseOfTheURL() async throws {
        let base = try RedisURL(TestRedis.url!)
        var other = base
        other.database = 5
        let db5 = RedisClient(url: other, connections: 1)
        let db0 = RedisClient(url: base, connections: 1)
        let k = TestRedis.key("db")
        try await db5.set(k, Array("five".utf8), expireSeconds: 60)
        #expect(try await db5.get(k) == Array("five".utf8))
        #expect(try await db0.get(k) == nil)
        try await db5.del([k])
        await db5.close()
        await db0.close()
    }

    @Test func unreachableServerFailsFast() async throws {
        let nowhere = RedisClient(url: RedisURL(host: "127.0.0.1", port: 1), connections: 1)
        await #expect(throws: RedisError.self) { try await nowhere.ping() }
    }
}
