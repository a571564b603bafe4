/// The identification result of one event, as v4 `identification`.
public struct IdentificationResult: Sendable, Equatable {
    public var visitorID: String
    public var visitorFound: Bool
    public var confidence: Double
    /// When the visitor was first seen (ms).
    public var firstSeenAt: Int64
    /// When the visitor was last seen before this event (ms); this event's
    /// time for a new visitor, as Fingerprint's examples show.
    public var lastSeenAt: Int64

    public init(visitorID: String, visitorFound: Bool, confidence: Double, firstSeenAt: Int64, lastSeenAt: Int64) {
        self.visitorID = visitorID
        self.visitorFound = visitorFound
        self.confidence = confidence
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
    }
}

/// A v4 Event (Fingerprint Server API v4 schema `Event`) as Argus builds it.
/// `json` fixes the key order, so the same event always gives the same bytes:
/// the Server API, sealed results and webhooks all carry these bytes.
public struct Event: Sendable, Equatable {
    public static let confidenceVersion = "argus-1"

    public var eventID: String
    public var timestamp: Int64
    public var environmentID: String
    public var linkedID: String?
    public var tags: JSONObject
    public var url: String
    public var clientReferrer: String
    public var ipAddress: String
    public var userAgent: String
    public var identification: IdentificationResult
    public var suspect: Bool
    public var replayed: Bool
    /// Smart-signal and Argus-specific fields, appended after the core fields in this order.
    public var signals: JSONObject

    public init(
        eventID: String, timestamp: Int64, environmentID: String, linkedID: String?, tags: JSONObject,
        url: String, clientReferrer: String, ipAddress: String, userAgent: String,
        identification: IdentificationResult, suspect: Bool = false, replayed: Bool = false,
        signals: JSONObject = JSONObject()
    ) {
        self.eventID = eventID
        self.timestamp = timestamp
        self.environmentID = environmentID
        self.linkedID = linkedID
        self.tags = tags
        self.url = url
        self.clientReferrer = clientReferrer
        self.ipAddress = ipAddress
        self.userAgent = userAgent
        self.identification = identification
        self.suspect = suspect
        self.replayed = replayed
        self.signals = signals
    }

    public var browserDetails: BrowserDetails { BrowserDetails.parse(userAgent: userAgent) }

    public var json: JSON {
        var o = JSONObject()
        o.append("event_id", .string(eventID))
        o.append("timestamp", .int(timestamp))
        o.append("environment_id", .string(environmentID))
        if let linkedID { o.append("linked_id", .string(linkedID)) }
        o.append("tags", .object(tags))
        o.append("suspect", .bool(suspect))
        o.append("url", .string(url))
        o.append("client_referrer", .string(clientReferrer))
        o.append("ip_address", .string(ipAddress))
        o.append("user_agent", .string(userAgent))
        let details = browserDetails
        o.append("browser_details", details.json)
        o.append("os", .string(details.os))
        o.append("os_version", .string(details.osVersion))
        o.append("device", .string(details.device))
        let id = identification
        o.append(
            "identification",
            [
                "visitor_id": .string(id.visitorID),
                "visitor_found": .bool(id.visitorFound),
                "confidence": ["score": .double(id.confidence), "version": .string(Self.confidenceVersion)],
                "first_seen_at": .int(id.firstSeenAt),
                "last_seen_at": .int(id.lastSeenAt),
            ])
        o.append("replayed", .bool(replayed))
        for (k, v) in signals.entries where o[k] == nil { o.append(k, v) }
        return .object(o)
    }

    public var jsonBytes: [UInt8] { JSONWriter.bytes(json) }
}

/// A change to an event through `PATCH /v4/events/{id}`.
public struct EventUpdate: Sendable, Equatable {
    public var linkedID: String?
    public var tags: JSONObject?
    public var suspect: Bool?

    public init(linkedID: String? = nil, tags: JSONObject? = nil, suspect: Bool? = nil) {
        self.linkedID = linkedID
        self.tags = tags
        self.suspect = suspect
    }

    public var isEmpty: Bool { linkedID == nil && tags == nil && suspect == nil }

    /// Applies the change to a stored event document, keeping its key order.
    public func apply(to document: JSON) -> JSON {
        guard case .object(var o) = document else { return document }
        if let linkedID {
            if o["linked_id"] != nil {
                o["linked_id"] = .string(linkedID)
            } else {
                // Keep the same place a fresh event would give it: after environment_id.
                var rebuilt = JSONObject()
                for (k, v) in o.entries {
                    rebuilt.append(k, v)
                    if k == "environment_id" { rebuilt.append("linked_id", .string(linkedID)) }
                }
                if rebuilt["linked_id"] == nil { rebuilt.append("linked_id", .string(linkedID)) }
                o = rebuilt
            }
        }
        if let tags { o["tags"] = .object(tags) }
        if let suspect { o["suspect"] = .bool(suspect) }
        return .object(o)
    }
}
