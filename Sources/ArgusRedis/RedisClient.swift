import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Where Redis is: `redis://[[user]:password@]host[:port][/db]`.
public struct RedisURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var database: Int
    public var user: String?
    public var password: String?

    public init(host: String, port: Int = 6379, database: Int = 0, user: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
    }

    public init(_ text: String) throws {
        guard let url = URLComponents(string: text), url.scheme == "redis", let host = url.host, !host.isEmpty else {
            throw RedisError("'\(text)' is not a redis://host[:port][/db] URL")
        }
        self.host = host
        self.port = url.port ?? 6379
        let path = url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if path.isEmpty {
            database = 0
        } else {
            guard let db = Int(path), db >= 0 else { throw RedisError("'\(path)' is not a database number") }
            database = db
        }
        user = url.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        password = url.password?.removingPercentEncoding
    }
}

/// A small Redis client (RESP2 over SwiftNIO): a few pipelined connections, commands spread over them
/// round-robin, each connection re-established on the next command after it drops. Safe to share.
///
/// Commands are sent as they are called, without waiting for earlier replies (pipelining), so one
/// connection carries many concurrent callers; the replies come back in order.
public final class RedisClient: Sendable {
    public let url: RedisURL
    /// A command not answered within this time fails, and its connection is closed.
    public let commandTimeout: TimeAmount
    let connections: [Connection]
    let next = Atomic<Int>(0)

    public init(
        url: RedisURL, connections: Int = 2, commandTimeout: TimeAmount = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.url = url
        self.commandTimeout = commandTimeout
        self.connections = (0..<max(1, connections)).map { _ in Connection(url: url, group: eventLoopGroup) }
    }

    public convenience init(_ url: String, connections: Int = 2) throws {
        self.init(url: try RedisURL(url), connections: connections)
    }

    /// Sends any command; an error reply becomes `RedisError`.
    @discardableResult
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        let i = next.add(1, ordering: .relaxed).oldValue
        let reply = try await connections[abs(i % connections.count)].send(arguments, timeout: commandTimeout)
        if case .error(let message) = reply { throw RedisError(message) }
        return reply
    }

    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue {
        try await send(arguments.map { Array($0.utf8) })
    }

    public func ping() async throws {
        _ = try await send("PING")
    }

    /// The value, nil when the key does not exist.
    public func get(_ key: String) async throws -> [UInt8]? {
        try await send([Array("GET".utf8), Array(key.utf8)]).bytes
    }

    /// SET with an optional expiry (seconds) and NX; false when NX kept an existing value.
    @discardableResult
    public func set(_ key: String, _ value: [UInt8], expireSeconds: Int? = nil, onlyIfAbsent: Bool = false) async throws -> Bool {
        var args: [[UInt8]] = [Array("SET".utf8), Array(key.utf8), value]
        if let expireSeconds { args += [Array("EX".utf8), Array(String(max(1, expireSeconds)).utf8)] }
        if onlyIfAbsent { args.append(Array("NX".utf8)) }
        return try await !send(args).isNull
    }

    /// How many of the keys existed.
    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return Int(try await send([Array("DEL".utf8)] + keys.map { Array($0.utf8) }).int ?? 0)
    }

    /// The value after the increment.
    public func incr(_ key: String, by amount: Int64 = 1) async throws -> Int64 {
        let reply = try await send([Array("INCRBY".utf8), Array(key.utf8), Array(String(amount).utf8)])
        guard let n = reply.int else { throw RedisError("INCRBY answered \(reply)") }
        return n
    }

    /// false when the key does not exist.
    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await send([Array("EXPIRE".utf8), Array(key.utf8), Array(String(seconds).utf8)]).int == 1
    }

    /// Seconds to live: -1 without expiry, -2 when the key does not exist.
    public func ttl(_ key: String) async throws -> Int64 {
        try await send([Array("TTL".utf8), Array(key.utf8)]).int ?? -2
    }

    /// Runs a Lua script atomically (EVAL), e.g. a token bucket or a replay guard.
    public func eval(_ script: String, keys: [String] = [], arguments: [String] = []) async throws -> RESPValue {
        try await send(
            [Array("EVAL".utf8), Array(script.utf8), Array(String(keys.count).utf8)] + keys.map { Array($0.utf8) }
                + arguments.map { Array($0.utf8) })
    }

    /// Closes every connection (commands after this reconnect).
    public func close() async {
        for c in connections { await c.close() }
    }
}

/// A request travelling through the channel with the promise its reply completes.
struct RESPRequest: Sendable {
    let arguments: [[UInt8]]
    let promise: EventLoopPromise<RESPValue>
}

final class Connection: Sendable {
    let url: RedisURL
    let group: any EventLoopGroup
    let current = Mutex<EventLoopFuture<any Channel>?>(nil)

    init(url: RedisURL, group: any EventLoopGroup) {
        self.url = url
        self.group = group
    }

    func send(_ arguments: [[UInt8]], timeout: TimeAmount) async throws -> RESPValue {
        let channel = try await channel()
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        // A reply that does not come closes the connection, which fails every pending command.
        let timer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        // A write that fails (the connection closed meanwhile) fails the command (a second completion is ignored).
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { promise.fail($0) }
        channel.writeAndFlush(RESPRequest(arguments: arguments, promise: promise), promise: written)
        return try await promise.futureResult.get()
    }

    func channel() async throws -> any Channel {
        for _ in 0..<2 {
            let future = current.withLock { state -> EventLoopFuture<any Channel> in
                if let f = state { return f }
                let f = connect()
                state = f
                return f
            }
            do {
                let channel = try await future.get()
                if channel.isActive { return channel }
            } catch {
                current.withLock { if $0 === future { $0 = nil } }
                throw RedisError("cannot connect to \(url.host):\(url.port): \(error)")
            }
            current.withLock { if $0 === future { $0 = nil } }
        }
        throw RedisError("connection to \(url.host):\(url.port) closed")
    }

    func connect() -> EventLoopFuture<any Channel> {
        let url = self.url
        return ClientBootstrap(group: group)
            .connectTimeout(.seconds(2))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RESPHandler()) }
            }
            .connect(host: url.host, port: url.port)
            .flatMap { channel in
                var setup: [[[UInt8]]] = []
                if let password = url.password {
                    setup.append([Array("AUTH".utf8)] + (url.user.map { [Array($0.utf8)] } ?? []) + [Array(password.utf8)])
                }
                if url.database != 0 { setup.append([Array("SELECT".utf8), Array(String(url.database).utf8)]) }
                let replies = setup.map { args -> EventLoopFuture<RESPValue> in
                    let p = channel.eventLoop.makePromise(of: RESPValue.self)
                    channel.writeAndFlush(RESPRequest(arguments: args, promise: p), promise: nil)
                    return p.futureResult
                }
                return EventLoopFuture.whenAllSucceed(replies, on: channel.eventLoop).flatMapThrowing { values in
                    for case .error(let message) in values {
                        channel.close(promise: nil)
                        throw RedisError(message)
                    }
                    return channel
                }
            }
    }

    func close() async {
        let future = current.withLock { state -> EventLoopFuture<any Channel>? in
            defer { state = nil }
            return state
        }
        if let channel = try? await future?.get() { try? await channel.close() }
    }
}

/// Encodes requests, decodes replies in order and completes the waiting promises.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var buffer: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(request.promise)
        var out = context.channel.allocator.buffer(capacity: 32 + request.arguments.reduce(0) { $0 + $1.count + 16 })
        RESP.encode(request.arguments, into: &out)
        context.write(wrapOutboundOut(out), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        do {
            while buffer!.readableBytes > 0, let value = try RESP.decode(&buffer!) {
                guard let promise = pending.popFirst() else { throw RedisError("protocol error: a reply nobody asked for") }
                promise.succeed(value)
            }
            if buffer!.readableBytes == 0 { buffer = nil } else { buffer!.discardReadBytes() }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RedisError("\(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let p = pending.popFirst() { p.fail(error) }
    }
}
