import ArgusCore
import ArgusTestSupport
import Foundation
import GRDB
import Testing

@testable import ArgusSQLite
@testable import ArgusStorage

/// SQLite's page cache, wrapped (`CSQLitePageCache`): a commit's truncation is skipped when the
/// cache cannot hold a page past the database's end, and forwarded when it can. The counters are
/// the process's (other suites write concurrently), so the tests assert lower bounds on them and
/// exact contents on their own databases.
@Suite(.enabled(if: !TestStore.postgres, "SQLite's page cache")) struct PageCacheTests {
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "argus-pcache-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func document(_ i: Int) -> [UInt8] { Array("{\"n\":\(i)}".utf8) + Array(repeating: 0x20, count: 900 + i % 50) }

    /// Events of many visitors from many addresses split pages of several indexes on nearly every
    /// commit, and each split renumbers pages through the lock-byte page's number: those commits'
    /// truncations are skipped, and everything written reads back, in a database SQLite finds whole.
    @Test func commitsAfterPageSplitsSkipTheWalkAndEverythingReadsBack() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        try await store.migrate()
        #expect(SQLiteStore.pageCacheWrapped)
        let before = SQLiteStore.pageCacheTruncations
        var ids: [String] = []
        for i in 0..<1500 {
            let t = Int64(1_700_000_000_000 + i)
            let visitor = "v\((i &* 7919) % 997)"
            let event = StoredEvent(
                id: Identifiers.eventID(timestampMs: t), environmentID: "env", visitorID: visitor, timestamp: t,
                linkedID: nil, ipAddress: "10.\(i % 251).\((i * 13) % 256).\(i % 7)",
                document: document(i), components: Array("{}".utf8))
            try await store.recordEvent(
                event, visitor: VisitorRecord(environmentID: "env", id: visitor, firstSeenAt: t, lastSeenAt: t, eventCount: 1))
            ids.append(event.id)
        }
        let after = SQLiteStore.pageCacheTruncations
        #expect(after.skipped - before.skipped >= 1000)
        for (i, id) in ids.enumerated() where i % 7 == 0 {
            let e = try #require(try await store.event(id: id, environmentID: "env"))
            #expect(e.document == document(i))
        }
        let check = try await DatabaseQueue(path: dir + "/argus.sqlite").read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        #expect(check == ["ok"])
    }

    /// A transaction that grew the file and rolled back, and a VACUUM that shrinks it, leave cached
    /// pages past the new end: those truncations are forwarded, and what is written afterwards at
    /// the same page numbers reads back as written, not as the pages dropped.
    @Test func truncationsWithPagesPastTheEndAreForwarded() async throws {
        _ = SQLiteStore.pageCacheWrapped
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -16384") }
        let db = try DatabaseQueue(path: dir + "/t.sqlite", configuration: config)
        try await db.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v BLOB); CREATE INDEX t_k ON t(k)")
            for i in 0..<500 { try db.execute(sql: "INSERT INTO t (k, v) VALUES (?, ?)", arguments: ["k\(i)", Data(repeating: 1, count: 700)]) }
        }
        let before = SQLiteStore.pageCacheTruncations
        struct Abandon: Error {}
        await #expect(throws: Abandon.self) {
            try await db.write { db in
                for i in 0..<3000 {
                    try db.execute(sql: "INSERT INTO t (k, v) VALUES (?, ?)", arguments: ["x\((i * 31) % 3001)", Data(repeating: 9, count: 900)])
                }
                throw Abandon()
            }
        }
        try await db.write { db in
            for i in 0..<2000 {
                try db.execute(sql: "INSERT INTO t (k, v) VALUES (?, ?)", arguments: ["y\((i * 17) % 2003)", Data(repeating: 2, count: 800)])
            }
            try db.execute(sql: "DELETE FROM t WHERE id % 3 = 0")
        }
        try await db.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
        try await db.write { db in
            for i in 0..<1000 { try db.execute(sql: "INSERT INTO t (k, v) VALUES (?, ?)", arguments: ["z\(i)", Data(repeating: 3, count: 600)]) }
        }
        #expect(SQLiteStore.pageCacheTruncations.forwarded > before.forwarded)
        let (nines, xs, ys, zs, check) = try await db.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE v = ?", arguments: [Data(repeating: 9, count: 900)]),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE k LIKE 'x%'"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE k LIKE 'y%'"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE k LIKE 'z%' AND v = ?", arguments: [Data(repeating: 3, count: 600)]),
                try String.fetchAll(db, sql: "PRAGMA integrity_check")
            )
        }
        #expect(nines == 0)
        #expect(xs == 0)
        #expect(ys == (501...2500).filter { $0 % 3 != 0 }.count)  // rowids resume at 501 after the rollback
        #expect(zs == 1000)
        #expect(check == ["ok"])
    }
}
