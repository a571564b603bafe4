import ArgusCore
import ArgusStorage
import Crypto
import Foundation
import Hummingbird

/// Parsing and validation of `GET /v4/events` parameters, with the error
/// messages of Fingerprint's vectors (`vectors/events/errors/400_*`).
struct SearchParameters {
    var query: EventQuery
    /// Signal filters Argus does not compute yet match no event when they ask for a positive signal.
    var matchesNothing = false
    var totalHitsCap = 10_000

    static let defaultWindowMs: Int64 = 7 * 24 * 3600 * 1000

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
        var out = SearchParameters(query: q)
        if let v = p.get("bot") {
            guard ["all", "good", "bad", "none"].contains(v) else { throw invalid("invalid bot type") }
            if v == "good" || v == "bad" { out.matchesNothing = true }
        }
        for name in ["vpn", "proxy", "incognito", "tampering"] where try bool(name, "invalid \(name) param") == true {
            out.matchesNothing = true
        }
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
        SignedFields.digest([
            q.environmentID ?? "*", q.visitorID ?? "", q.linkedID ?? "", q.ipAddress ?? "", q.suspect.map(String.init) ?? "",
            String(q.reverse),
        ])
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
