import ArgusCore
import ArgusStorage
import PostgresNIO

/// The feed of visitor changes that lets each instance keep its identification index in step
/// with the others' writes (`ArgusStore.visitorChanges`).
///
/// Every write of a visitor row stamps it with its transaction's id (`changed_xid`), and every
/// erasure leaves a `visitor_erasures` row stamped the same way. Transaction ids are handed out
/// in start order but commit in any order, so the feed cannot simply remember the highest id it
/// has read. Instead, a poll reads in a snapshot and remembers that snapshot's `xmin`: the
/// oldest transaction still running then. Every transaction the poll could not see is either
/// running then (id ≥ xmin) or starts later (id > every id handed out, so ≥ xmin too); the next
/// poll asks for ids ≥ xmin, and so no committed change is ever skipped. A change committed
/// before the poll but stamped ≥ xmin is reported again next time: callers apply changes
/// idempotently. A long-running writing transaction holds xmin back, which repeats changes
/// (never loses them) until it ends.
///
/// Cursor: `position` is the lower bound (an xmin); `visitorID` is empty between polls. When
/// `limit` cuts a poll, the rows are paged on (changed_xid, kind, id) and `visitorID` holds
/// `<xid>:<kind>:<id>` of the last row returned; `position` then holds the first page's
/// xmin, which becomes the lower bound once the last page is read.
extension PostgresStore {
    public func visitorChangeCursor(environmentID: String) async throws -> VisitorChangeCursor {
        let r = try await row("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin")
        return VisitorChangeCursor(position: try r?("xmin") ?? 0)
    }

    public func visitorChanges(environmentID: String, after cursor: VisitorChangeCursor, limit: Int) async throws
        -> VisitorChanges
    {
        let limit = max(1, limit)
        let page = PageKey(cursor.visitorID)
        return try await transaction("REPEATABLE READ, READ ONLY") { c, logger in
            // The first statement takes the snapshot that every read below uses.
            let xmin: Int64 =
                try await Self.rows(c, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin", logger: logger)
                .first?("xmin") ?? cursor.position
            // Visitor rows (kind 0) and erasures (kind 1), in (changed_xid, kind, id) order, after the page key.
            let (fromXID, fromKind, fromID) = page.map { ($0.xid, $0.kind, $0.id) } ?? (cursor.position, -1, "")
            let found = try await Self.rows(
                c,
                """
                SELECT * FROM (
                  (SELECT changed_xid, 0 AS kind, id, first_seen_at, last_seen_at, event_count, profile FROM visitors
                   WHERE environment_id = \(environmentID) AND changed_xid >= \(fromXID)
                     AND (changed_xid, 0, id) > (\(fromXID), \(fromKind), \(fromID))
                   ORDER BY changed_xid, id LIMIT \(limit + 1))
                  UNION ALL
                  (SELECT changed_xid, 1 AS kind, id, NULL, NULL, NULL, NULL FROM visitor_erasures
                   WHERE environment_id = \(environmentID) AND changed_xid >= \(fromXID)
                     AND (changed_xid, 1, id) > (\(fromXID), \(fromKind), \(fromID))
                   ORDER BY changed_xid, id LIMIT \(limit + 1))
                ) AS changes
                ORDER BY changed_xid, kind, id LIMIT \(limit + 1)
                """, logger: logger)
            let more = found.count > limit
            var visitors: [VisitorRecord] = []
            var erased: [String] = []
            var last: PageKey?
            for r in found.prefix(limit) {
                let kind: Int32 = try r("kind")
                let id: String = try r("id")
                if kind == 0 {
                    visitors.append(
                        VisitorRecord(
                            environmentID: environmentID, id: id, firstSeenAt: try r("first_seen_at"), lastSeenAt: try r("last_seen_at"),
                            eventCount: try r("event_count"), profile: try r.bytes("profile")))
                } else {
                    erased.append(id)
                }
                last = PageKey(xid: try r("changed_xid"), kind: Int(kind), id: id)
            }
            // The lower bound for the whole paged poll: the first page's xmin.
            let bound = page == nil ? xmin : cursor.position
            let next: VisitorChangeCursor
            if more, let last {
                next = VisitorChangeCursor(position: bound, visitorID: last.text)
            } else {
                next = VisitorChangeCursor(position: bound)
            }
            return VisitorChanges(visitors: visitors, erased: erased, cursor: next, more: more)
        }
    }

    /// The last row of a cut page.
    struct PageKey: Sendable {
        var xid: Int64
        var kind: Int
        var id: String

        init(xid: Int64, kind: Int, id: String) {
            self.xid = xid
            self.kind = kind
            self.id = id
        }

        init?(_ text: String) {
            let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let xid = Int64(parts[0]), let kind = Int(parts[1]) else { return nil }
            self.init(xid: xid, kind: kind, id: String(parts[2]))
        }

        var text: String { "\(xid):\(kind):\(id)" }
    }
}
