/// Where a PostgreSQL store lives: `postgres://user:password@host:port/database?sslmode=disable`
/// (`postgresql://` too). User, password and database are percent-decoded.
///
/// Query parameters:
/// - `sslmode`: only `disable` (the default when absent): Argus speaks to PostgreSQL without TLS,
///   so any other mode is refused rather than silently ignored;
/// - `search_path`: the schema Argus's tables live in (default: the server's, `public`);
/// - `connect_timeout`: seconds to wait for the server at start (default 5).
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var searchPath: String?
    public var connectTimeoutSeconds: Int

    public init(
        host: String, port: Int = 5432, user: String, password: String? = nil, database: String, searchPath: String? = nil,
        connectTimeoutSeconds: Int = 5
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.searchPath = searchPath
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = "ARGUS_DATABASE_URL: " + description }
    }

    /// Whether `text` names a PostgreSQL database (by its scheme).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(_ text: String) throws {
        guard let schemeEnd = text.range(of: "://") else {
            throw Invalid("expected postgres://user:password@host:port/database")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw Invalid("the scheme must be postgres:// or postgresql://, not \(scheme)://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        var query = Substring("")
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // The user information ends at the last '@' of the authority (a password may hold '@' encoded or not).
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var user = ""
        var password: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], "user")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], "password")
            } else {
                user = try Self.decode(userInfo, "user")
            }
        }
        guard !user.isEmpty else { throw Invalid("a user name is required (postgres://user:password@host/database)") }
        var host = ""
        var port = 5432
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw Invalid("unclosed '[' in the host") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw Invalid("bad port '\(after.dropFirst())'")
                }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            let p = rest[rest.index(after: colon)...]
            guard let n = Int(p), (1...65535).contains(n) else { throw Invalid("bad port '\(p)'") }
            port = n
        } else {
            host = String(rest)
        }
        guard !host.isEmpty else { throw Invalid("a host is required") }
        let database = path.isEmpty ? user : try Self.decode(path, "database name")
        var searchPath: String?
        var timeout = 5
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], "parameter")
            let value = parts.count > 1 ? try Self.decode(parts[1], "parameter value") : ""
            switch name {
            case "sslmode":
                guard value == "disable" else {
                    throw Invalid(
                        "sslmode=\(value) is not supported: Argus connects to PostgreSQL without TLS; "
                            + "use sslmode=disable on a trusted network (or a TLS tunnel)")
                }
            case "search_path":
                guard !value.isEmpty, value.utf8.count <= 63,
                    value.utf8.allSatisfy({ $0 == 0x5F || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }),
                    !(0x30...0x39).contains(value.utf8.first!)
                else {
                    throw Invalid("search_path must be one schema name of lowercase letters, digits and '_'")
                }
                searchPath = value
            case "connect_timeout":
                guard let s = Int(value), (1...600).contains(s) else {
                    throw Invalid("connect_timeout must be a number of seconds (1 to 600)")
                }
                timeout = s
            default:
                throw Invalid("unknown parameter '\(name)' (known: sslmode, search_path, connect_timeout)")
            }
        }
        self.init(
            host: host, port: port, user: user, password: password, database: database, searchPath: searchPath,
            connectTimeoutSeconds: timeout)
    }

    /// The URL without its password, for messages and logs.
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(h):\(port)/\(database)" + (searchPath.map { "?search_path=\($0)" } ?? "")
    }

    static func decode(_ s: Substring, _ what: String) throws -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let hi = hex(it[it.startIndex]), let lo = hex(it[it.startIndex + 1]) else {
                    throw Invalid("bad percent-encoding in the \(what)")
                }
                bytes.append(hi << 4 | lo)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Invalid("the \(what) is not UTF-8") }
        return text
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
