import Foundation

/// A Server API v4 event (Fingerprint's schema `Event`), as sealed results,
/// the Server API and webhooks carry it. Unknown fields are ignored, every
/// field but `eventID` and `timestamp` is optional, and the whole JSON is
/// kept in `raw` for fields this model does not name.
public struct Event: Sendable, Decodable {
    public var eventID: String
    public var timestamp: Int64
    public var environmentID: String?
    public var linkedID: String?
    public var tags: [String: JSONValue]?
    public var suspect: Bool?
    public var url: String?
    public var clientReferrer: String?
    public var ipAddress: String?
    public var userAgent: String?
    public var browserDetails: BrowserDetails?
    public var identification: Identification?
    public var replayed: Bool?
    public var bot: String?
    public var incognito: Bool?
    public var tampering: Bool?
    public var vpn: Bool?
    public var proxy: Bool?
    public var suspectScore: Int?
    /// The event as it came.
    public var raw: JSONValue

    public struct BrowserDetails: Sendable, Decodable, Equatable {
        public var browserName: String?
        public var browserMajorVersion: String?
        public var browserFullVersion: String?
        public var os: String?
        public var osVersion: String?
        public var device: String?
    }

    public struct Identification: Sendable, Decodable, Equatable {
        public var visitorID: String
        public var visitorFound: Bool
        public var confidence: Confidence?
        public var firstSeenAt: Int64?
        public var lastSeenAt: Int64?

        public struct Confidence: Sendable, Decodable, Equatable {
            public var score: Double
            public var version: String?
        }

        enum CodingKeys: String, CodingKey {
            case visitorID = "visitor_id", visitorFound = "visitor_found", confidence
            case firstSeenAt = "first_seen_at", lastSeenAt = "last_seen_at"
        }
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", timestamp, environmentID = "environment_id", linkedID = "linked_id", tags, suspect, url
        case clientReferrer = "client_referrer", ipAddress = "ip_address", userAgent = "user_agent"
        case browserDetails = "browser_details", identification, replayed, bot, incognito, tampering, vpn, proxy
        case suspectScore = "suspect_score"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try c.decode(String.self, forKey: .eventID)
        timestamp = try c.decode(Int64.self, forKey: .timestamp)
        environmentID = try c.decodeIfPresent(String.self, forKey: .environmentID)
        linkedID = try c.decodeIfPresent(String.self, forKey: .linkedID)
        tags = try c.decodeIfPresent([String: JSONValue].self, forKey: .tags)
        suspect = try c.decodeIfPresent(Bool.self, forKey: .suspect)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        clientReferrer = try c.decodeIfPresent(String.self, forKey: .clientReferrer)
        ipAddress = try c.decodeIfPresent(String.self, forKey: .ipAddress)
        userAgent = try c.decodeIfPresent(String.self, forKey: .userAgent)
        browserDetails = try c.decodeIfPresent(BrowserDetails.self, forKey: .browserDetails)
        identification = try c.decodeIfPresent(Identification.self, forKey: .identification)
        replayed = try c.decodeIfPresent(Bool.self, forKey: .replayed)
        bot = try c.decodeIfPresent(String.self, forKey: .bot)
        incognito = try c.decodeIfPresent(Bool.self, forKey: .incognito)
        tampering = try c.decodeIfPresent(Bool.self, forKey: .tampering)
        vpn = try c.decodeIfPresent(Bool.self, forKey: .vpn)
        proxy = try c.decodeIfPresent(Bool.self, forKey: .proxy)
        suspectScore = try c.decodeIfPresent(Int.self, forKey: .suspectScore)
        raw = try JSONValue(from: decoder)
    }

    /// Decodes an event from its JSON bytes.
    public static func decode(_ data: Data) throws -> Event {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .useDefaultKeys
        return try decoder.decode(Event.self, from: data)
    }
}

extension Event.BrowserDetails {
    enum CodingKeys: String, CodingKey {
        case browserName = "browser_name", browserMajorVersion = "browser_major_version"
        case browserFullVersion = "browser_full_version", os, osVersion = "os_version", device
    }
}

/// Any JSON value.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}
