import ArgusCore
import ArgusTestSupport
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import ArgusSQLite
@testable import ArgusStorage
@testable import ArgusServer

@Suite struct GroupCommitTests {
    struct Bad: Error {}

    @Test func concurrentSubmissionsShareBatchesAndFailuresStayWithTheirItem() async throws {
        let batches = Mutex<[[Int]]>([])
        let committer = GroupCommitter<Int> { batch in
            try await Task.sleep(for: .milliseconds(5))
            if batch.contains(13) { throw Bad() }
            batches.withLock { $0.append(batch) }
        }
        let results = await concurrently(100) { i in try await committer.submit(i) }
        #expect(results.count == 100)
        #expect(results[13] == false)
        #expect(results.filter { !$0.value }.count == 1)
        let written = batches.withLock { $0 }
        // Every other item was written exactly once, and fewer transactions than items were needed.
        #expect(written.flatMap { $0 }.sorted() == (0..<100).filter { $0 != 13 })
        #expect(written.count < 99)
    }
}

/// The identify body stored with each event is compressed on disk and read back byte for byte.
@Suite struct StoredComponentsTests {
    /// SQLite-only: it reads the database file (ArgusPostgresTests checks the same on PostgreSQL).
    @Test(.enabled(if: !TestStore.postgres, "reads the SQLite file"))
    func bodiesAreCompressedOnDiskAndReadBackExactly() async throws {
        let h = try await Harness.make()
        defer { h.remove() }
        let body = h.identifyBody()
        let raw = Array(body.readableBytesView)
        let id = try await h.app.test(.router) { client in
            try await client.execute(uri: "/v1/identify", method: .post, body: body).json["requestId"]!.stringValue!
        }
        let stored = try #require(try await h.runtime.store.event(id: id, environmentID: nil))
        #expect(stored.components == raw)
        // On disk: the dictionary marker and a deflated body, smaller than plain deflate makes it.
        let path = h.directory + "/argus.sqlite"
        let onDisk = try await DatabaseQueue(path: path).read { db in
            try Data.fetchOne(db, sql: "SELECT components FROM events WHERE id = ?", arguments: [id])!
        }
        #expect(onDisk.first == StoredComponents.dictionaryV1Marker)
        #expect(onDisk.count < (try RawDeflate.compress(raw, level: 3)).count)
    }

    /// The agent's real body (Debian's Chromium, bench/components.json, not the dictionary itself)
    /// shrinks far more against the dictionary than with plain deflate, and reads back exactly.
    @Test func theDictionaryPaysOnARealAgentBody() throws {
        let bench = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../bench/components.json")
        let components = try Data(contentsOf: bench)
        let body = Array(#"{"v":1,"publicKey":"pk_test","token":null,"url":"https://shop.example/","components":"#.utf8)
            + Array(components) + [UInt8(ascii: "}")]
        let stored = StoredComponents.encode(body)
        let plain = try RawDeflate.compress(body, level: 3)
        #expect(stored.first == StoredComponents.dictionaryV1Marker)
        #expect(stored.count * 3 < plain.count, "dictionary \(stored.count) B, plain \(plain.count) B")
        #expect(StoredComponents.decode(stored) == body)
        // The stream refers into the dictionary: read as plain deflate it is not the body.
        #expect(StoredComponents.decode([StoredComponents.plainMarker] + stored.dropFirst()) != body)
    }

    @Test func rowsWrittenWithPlainDeflateStillRead() throws {
        let body = Array(String(repeating: #"{"fonts":["Arial","Calibri"]}"#, count: 40).utf8)
        let old = [StoredComponents.plainMarker] + (try RawDeflate.compress(body, level: 3))
        #expect(StoredComponents.decode(old) == body)
    }

    @Test func rowsWrittenBeforeCompressionReadAsTheyAre() {
        let json = Array(#"{"v":1,"components":{}}"#.utf8)
        #expect(StoredComponents.decode(json) == json)
        #expect(StoredComponents.encode(json) == json)  // too small to be worth it
        let big = Array(String(repeating: #"{"fonts":["Arial","Calibri"]}"#, count: 40).utf8)
        #expect(StoredComponents.decode(StoredComponents.encode(big)) == big)
        #expect(StoredComponents.decode([0, 0xFF, 0xFF]) == [])  // a damaged row reads as empty, not as garbage
        #expect(StoredComponents.decode([1, 0xFF, 0xFF]) == [])
    }
}

/// `maintain()` checkpoints from its own connection, and the next commit then starts the WAL
/// over; without it the WAL only grows (up to the writer's backstop). The writer-side step for a
/// WAL that commits kept growing during the side checkpoint needs concurrent load to show
/// (`scripts/bench-http` prints the WAL's size after its run: BENCHMARKS.md).
@Suite(.enabled(if: !TestStore.postgres, "SQLite's WAL")) struct WALMaintenanceTests {
    func write(_ store: SQLiteStore, _ n: Int, from start: Int) async throws {
        let body = Array(String(repeating: #"{"fonts":["Arial","Calibri"]}"#, count: 20).utf8)
        for i in start..<(start + n) {
            let t = Int64(1_700_000_000_000 + i)
            try await store.recordEvent(
                StoredEvent(
                    id: Identifiers.eventID(timestampMs: t), environmentID: "env", visitorID: "v\(i % 17)", timestamp: t,
                    linkedID: nil, ipAddress: "81.2.69.\(i % 250)", document: Array(repeating: 0x64, count: 1500), components: body),
                visitor: VisitorRecord(environmentID: "env", id: "v\(i % 17)", firstSeenAt: t, lastSeenAt: t, eventCount: 1,
                    profile: Array(repeating: 7, count: 1100)))
        }
    }

    /// A fresh directory for one test's database (the caller removes it).
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "argus-wal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Measured through file sizes (a checkpoint from the test would change what it measures):
    /// SQLite appends to the WAL until it starts it over, and it never shrinks the file.
    @Test func theWALIsCopiedAndStartedOverOffTheCommitPath() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/argus.sqlite"
        let store = try SQLiteStore(path: path, restartFrames: 100)
        try await store.migrate()
        try await store.createEnvironment(EnvironmentRecord(id: "env", name: "env", createdAt: 0))

        try await write(store, 150, from: 0)
        let wal1 = try size(path + "-wal")
        let db1 = try size(path)
        try await write(store, 50, from: 150)
        let wal2 = try size(path + "-wal")
        #expect(wal2 > wal1)  // without maintenance the WAL only grows (the writer's backstop is far)

        try await store.maintain()
        #expect(try size(path) > db1)  // the pages went into the database file
        try await write(store, 50, from: 200)
        #expect(try size(path + "-wal") == wal2, "the WAL was started over, not appended to")
        #expect(try await store.searchEvents(EventQuery(environmentID: "env", start: 0, end: .max, limit: 1000)).count == 250)
    }

    /// The writer keeps statement journals in memory (recordEvent's trigger-firing statements
    /// would otherwise spill them into temporary files), and a search by time reads the one
    /// (environment, time, id) index in its own order, with no sort, from either end.
    @Test func statementJournalsStayInMemoryAndSearchesReadOneTimeIndexInOrder() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/argus.sqlite")
        try await store.migrate()
        try await store.createEnvironment(EnvironmentRecord(id: "env", name: "env", createdAt: 0))
        try await write(store, 40, from: 0)
        let tempStore = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        #expect(tempStore == 2)  // MEMORY
        for reverse in [false, true] {
            let q = EventQuery(environmentID: "env", start: 0, end: .max, reverse: reverse, limit: 10)
            let (clause, args) = SQLiteStore.whereClause(q, withCursor: true)
            let order = reverse ? "ASC" : "DESC"  // as searchEvents orders
            let plan = try await store.pool.read { db in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN SELECT * FROM events WHERE \(clause) ORDER BY timestamp \(order), id \(order)", arguments: args
                ).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("events_environment_time_id") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            let found = try await store.searchEvents(q).map(\.timestamp)
            #expect(found == (reverse ? Array(found.sorted()) : Array(found.sorted().reversed())))
            #expect(found.count == 10)
        }
        let indexes = try await store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL")
        }
        #expect(Set(indexes) == ["events_environment_time_id", "events_visitor", "events_linked", "events_ip"])
    }

    /// `maintain()`'s flush goes through SQLite's own handles of the side connection: it works
    /// before that connection has opened the WAL and after, and the database stays whole.
    @Test func theSideConnectionFlushesThroughSQLitesOwnHandles() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/argus.sqlite", restartFrames: 10)
        try await store.checkpointer.writeWithoutTransaction { db in try SQLiteStore.syncFiles(db) }  // nothing open yet
        try await store.migrate()
        try await store.createEnvironment(EnvironmentRecord(id: "env", name: "env", createdAt: 0))
        try await write(store, 60, from: 0)
        try await store.checkpointer.writeWithoutTransaction { db in try SQLiteStore.syncFiles(db) }
        try await store.maintain()  // past 10 frames: the flush, then the writer's step
        try await write(store, 20, from: 60)
        #expect(try await store.searchEvents(EventQuery(environmentID: "env", start: 0, end: .max, limit: 1000)).count == 80)
        let check = try await store.pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"])
    }
}
