import NIOCore

/// A RESP2 reply.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// nil: the null bulk string (`$-1`).
    case bulkString([UInt8]?)
    /// nil: the null array (`*-1`).
    case array([RESPValue]?)

    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let b): return b
        case .simpleString(let s): return Array(s.utf8)
        default: return nil
        }
    }

    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulkString(let b?): return Int64(String(decoding: b, as: UTF8.self))
        default: return nil
        }
    }

    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): return true
        default: return false
        }
    }
}

/// An error reply from Redis (`-ERR …`), or a failure talking to it.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "redis: \(message)" }
}

enum RESP {
    /// A command as an array of bulk strings.
    static func encode(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for a in arguments {
            buffer.writeString("$\(a.count)\r\n")
            buffer.writeBytes(a)
            buffer.writeString("\r\n")
        }
    }

    static let maxBulkLength = 512 * 1024 * 1024
    static let maxDepth = 32

    /// One reply if the buffer holds all of it (the reader index moves past it); nil if more bytes are needed.
    static func decode(_ buffer: inout ByteBuffer, depth: Int = 0) throws -> RESPValue? {
        var b = buffer
        guard let value = try decodeOne(&b, depth: depth) else { return nil }
        buffer = b
        return value
    }

    private static func line(_ buffer: inout ByteBuffer) throws -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
        guard cr + 1 < view.endIndex else { return nil }
        guard view[cr + 1] == UInt8(ascii: "\n") else { throw RedisError("protocol error: CR without LF") }
        let s = buffer.readString(length: cr - view.startIndex)!
        buffer.moveReaderIndex(forwardBy: 2)
        return s
    }

    private static func decodeOne(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth < maxDepth else { throw RedisError("protocol error: reply nested too deeply") }
        guard let type = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let text = try line(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(text)
        case UInt8(ascii: "-"): return .error(text)
        case UInt8(ascii: ":"):
            guard let i = Int64(text) else { throw RedisError("protocol error: bad integer '\(text)'") }
            return .integer(i)
        case UInt8(ascii: "$"):
            guard let n = Int(text), n >= -1, n <= maxBulkLength else { throw RedisError("protocol error: bad length '\(text)'") }
            if n == -1 { return .bulkString(nil) }
            guard buffer.readableBytes >= n + 2, let bytes = buffer.readBytes(length: n) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let n = Int(text), n >= -1, n <= 1 << 24 else { throw RedisError("protocol error: bad count '\(text)'") }
            if n == -1 { return .array(nil) }
            var items: [RESPValue] = []
            items.reserveCapacity(min(n, 1024))
            for _ in 0..<n {
                guard let item = try decodeOne(&buffer, depth: depth + 1) else { return nil }
                items.append(item)
            }
            return .array(items)
        default:
            throw RedisError("protocol error: unknown reply type \(type)")
        }
    }
}
