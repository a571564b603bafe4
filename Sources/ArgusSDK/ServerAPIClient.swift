import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A typed client of the Server API v4 (Argus, or any Fingerprint-compatible server).
public struct ServerAPIClient: Sendable {
    public let baseURL: String
    let secretKey: String
    let http: HTTPClient
    public var timeout: TimeAmount = .seconds(10)

    /// `baseURL` ends with `/v4`, e.g. `http://127.0.0.1:8080/v4`.
    public init(baseURL: String, secretKey: String, httpClient: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.secretKey = secretKey
        self.http = httpClient
    }

    /// An error answer of the API (`{"error": {"code", "message"}}`).
    public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
        public let status: Int
        public let code: String
        public let message: String
        /// Seconds, for 429.
        public let retryAfter: Int?
        public var description: String { "\(status) \(code): \(message)" }
    }

    public struct SearchQuery: Sendable {
        public var limit: Int?
        public var paginationKey: String?
        public var visitorID: String?
        public var linkedID: String?
        public var ipAddress: String?
        public var bot: String?
        public var suspect: Bool?
        public var vpn: Bool?
        public var proxy: Bool?
        public var incognito: Bool?
        public var tampering: Bool?
        public var start: Int64?
        public var end: Int64?
        public var reverse: Bool?

        public init() {}

        var items: [(String, String)] {
            var q: [(String, String)] = []
            func add(_ k: String, _ v: (some CustomStringConvertible)?) { if let v { q.append((k, v.description)) } }
            add("limit", limit)
            add("pagination_key", paginationKey)
            add("visitor_id", visitorID)
            add("linked_id", linkedID)
            add("ip_address", ipAddress)
            add("bot", bot)
            add("suspect", suspect)
            add("vpn", vpn)
            add("proxy", proxy)
            add("incognito", incognito)
            add("tampering", tampering)
            add("start", start)
            add("end", end)
            add("reverse", reverse)
            return q
        }
    }

    public struct SearchResult: Sendable, Decodable {
        public var events: [Event]
        public var paginationKey: String?
        public var totalHits: Int?

        enum CodingKeys: String, CodingKey {
            case events, paginationKey = "pagination_key", totalHits = "total_hits"
        }
    }

    public func getEvent(_ eventID: String) async throws -> Event {
        try Event.decode(try await send(.GET, "/events/\(escape(eventID))"))
    }

    public func searchEvents(_ query: SearchQuery = SearchQuery()) async throws -> SearchResult {
        var components = URLComponents()
        components.queryItems = query.items.map { URLQueryItem(name: $0.0, value: $0.1) }
        let suffix = query.items.isEmpty ? "" : "?" + (components.percentEncodedQuery ?? "")
        return try JSONDecoder().decode(SearchResult.self, from: try await send(.GET, "/events" + suffix))
    }

    /// Changes an event's `linked_id`, `tags` or `suspect` flag.
    public func updateEvent(_ eventID: String, linkedID: String? = nil, tags: [String: JSONValue]? = nil, suspect: Bool? = nil)
        async throws
    {
        struct Body: Encodable {
            let linked_id: String?
            let tags: [String: JSONValue]?
            let suspect: Bool?
        }
        let body = try JSONEncoder().encode(Body(linked_id: linkedID, tags: tags, suspect: suspect))
        _ = try await send(.PATCH, "/events/\(escape(eventID))", body: body)
    }

    /// Erases a visitor and everything derived from its events.
    public func deleteVisitor(_ visitorID: String) async throws {
        _ = try await send(.DELETE, "/visitors/\(escape(visitorID))")
    }

    func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? s }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(secretKey)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = Data((try await response.body.collect(upTo: 16 << 20)).readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let error = (try? JSONDecoder().decode(ErrorBody.self, from: bytes))?.error
            throw APIError(
                status: Int(response.status.code), code: error?.code ?? "http_\(response.status.code)",
                message: error?.message ?? String(decoding: bytes.prefix(500), as: UTF8.self),
                retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) })
        }
        return bytes
    }

    struct ErrorBody: Decodable {
        struct Inner: Decodable {
            let code: String
            let message: String
        }
        let error: Inner
    }
}
