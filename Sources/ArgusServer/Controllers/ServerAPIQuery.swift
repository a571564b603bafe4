import ArgusCore
import ArgusStorage
import Crypto
import Foundation
import Hummingbird

/// Parsing and validation of `GET /v4/events` parameters, with the error
/// messages of Fingerprint's vectors (`vectors/events/errors/400_*`).
struct SearchParameters {
    var query: EventQuery
    var totalHitsCap = 10_000

    static let defaultWindowMs: Int64 = 7 * 24 * 3600 * 1000

    /// The boolean smart-signal filters of the v4 search and the event fields they read.
    static let booleanSignals: [(String, [String])] = [
        ("vpn", ["vpn"]), ("proxy", ["proxy"]), ("incognito", ["incognito"]), ("tampering", ["tampering"]),
        ("anti_detect_browser", ["tampering_details", "anti_detect_browser"]), ("virtual_machine", ["virtual_machine"]),
        ("privacy_settings", ["privacy_settings"]), ("developer_tools", ["developer_tools"]), ("rare_device", ["rare_device"]),
        ("tor_node", ["ip_blocklist", "tor_node"]),
    ]

    static func invalid(_ message: String) -> APIError { APIError(.badRequest, "request_cannot_be_parsed", message) }

    static func parse(_ p: Parameters, environmentID: String?, nowMs: Int64, paginationKey: SymmetricKey) throws -> SearchParameters {
        func bool(_ name: String, _ message: String) throws -> Bool? {
            guard let v = p.get(name) else { return nil }
            switch v.lowercased() {
            case "true": return true
            case "false": return false
            default: throw invalid(message)
            }
        }
        var limit = 10
        if let v = p.get("limit") {
            guard let n = Int(v), (1...100).contains(n) else { throw invalid("invalid limit") }
            limit = n
        }
        var start = nowMs - defaultWindowMs
        var end = nowMs
        var explicitStart: Int64?
        var explicitEnd: Int64?
        if let v = p.get("start") {
            guard let n = Int64(v), n >= 0 else { throw invalid("invalid start time") }
            start = n
            explicitStart = n
        }
        if let v = p.get("end") {
            guard let n = Int64(v), n >= 0 else { throw invalid("invalid end time") }
            end = n
            explicitEnd = n
        }
        let reverse = try bool("reverse", "invalid reverse param") ?? false
        var q = EventQuery(environmentID: environmentID, start: start, end: end, reverse: reverse, limit: limit)
        if let v = p.get("visitor_id") {
            guard Identifiers.isVisitorID(v) else { throw invalid("invalid visitor id") }
            q.visitorID = v
        }
        if let v = p.get("linked_id") {
            guard v.count <= IdentifyRequest.maxLinkedIDLength else {
                throw invalid("linked_id can't be greater than 256 characters long")
            }
            q.linkedID = v
        }
        if let v = p.get("ip_address") {
            guard let ip = IPAddress.canonical(v) else { throw invalid("invalid ip address") }
            q.ipAddress = ip
        }
        q.suspect = try bool("suspect", "invalid suspect param")
        // Smart-signal filters, on the fields of the stored event (docs/api.md, "Search filters").
        if let v = p.get("bot") {
            let verdicts: [String: [String]] = ["all": ["good", "bad"], "good": ["good"], "bad": ["bad"], "none": ["not_detected"]]
            guard let oneOf = verdicts[v] else { throw invalid("invalid bot type") }
            q.signals.append(SignalFilter(path: ["bot"], oneOf: oneOf.map { .string($0) }))
        }
        for (name, path) in Self.booleanSignals {
            if let b = try bool(name, "invalid \(name) param") { q.signals.append(SignalFilter(path: path, oneOf: [.bool(b)])) }
        }
        if let v = p.get("min_suspect_score") {
            guard let n = Double(v), n.isFinite, n >= 0 else { throw invalid("invalid min_suspect_score param") }
            q.signals.append(SignalFilter(path: ["suspect_score"], oneOf: [.atLeast(n)]))
        }
        var out = SearchParameters(query: q)
        if let v = p.get("total_hits") {
            guard let n = Int(v), n >= 1 else { throw invalid("invalid total_hits") }
            out.totalHitsCap = min(n, 10_000)
        }
        if let v = p.get("pagination_key") {
            // The key carries the first page's time window (the default window moves with the clock).
            guard let page = PaginationKey.open(v, query: q, key: paginationKey),
                explicitStart == nil || explicitStart == page.start, explicitEnd == nil || explicitEnd == page.end
            else { throw invalid("invalid pagination key") }
            out.query.start = page.start
            out.query.end = page.end
            out.query.after = page.cursor
        }
        return out
    }
}

/// `pagination_key`: base64url(payload).base64url(HMAC-SHA256/128), the payload
/// naming the last event of a page, the search's time window and a hash of its
/// filters, so a key cannot be forged or carried over to another search.
enum PaginationKey {
    struct Page {
        var cursor: EventCursor
        var start: Int64
        var end: Int64
    }

    static func digest(_ q: EventQuery) -> String {
        var fields = [
            q.environmentID ?? "*", q.visitorID ?? "", q.linkedID ?? "", q.ipAddress ?? "", q.suspect.map(String.init) ?? "",
            String(q.reverse),
        ]
        if !q.signals.isEmpty { fields.append(q.signals.map(\.canonical).joined(separator: "&")) }  // keys made before filters stay valid
        return SignedFields.digest(fields)
    }

    static func seal(_ cursor: EventCursor, query: EventQuery, key: SymmetricKey) -> String {
        SignedFields.seal([String(cursor.timestamp), cursor.id, String(query.start), String(query.end), digest(query)], key: key)
    }

    static func open(_ text: String, query: EventQuery, key: SymmetricKey) -> Page? {
        guard let fields = SignedFields.open(text, key: key), fields.count == 5, let timestamp = Int64(fields[0]),
            let start = Int64(fields[2]), let end = Int64(fields[3]), fields[4] == digest(query)
        else { return nil }
        return Page(cursor: EventCursor(timestamp: timestamp, id: fields[1]), start: start, end: end)
    }
}
