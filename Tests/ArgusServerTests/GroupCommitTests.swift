import Synchronization
import Testing

@testable import ArgusSQLite

@Suite struct GroupCommitTests {
    struct Bad: Error {}

    @Test func concurrentSubmissionsShareBatchesAndFailuresStayWithTheirItem() async throws {
        let batches = Mutex<[[Int]]>([])
        let committer = GroupCommitter<Int> { batch in
            try await Task.sleep(for: .milliseconds(5))
            if batch.contains(13) { throw Bad() }
            batches.withLock { $0.append(batch) }
        }
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<100 {
                group.addTask {
                    do {
                        try await committer.submit(i)
                        return (i, true)
                    } catch {
                        return (i, false)
                    }
                }
            }
            var out: [Int: Bool] = [:]
            for await (i, ok) in group { out[i] = ok }
            return out
        }
        #expect(results.count == 100)
        #expect(results[13] == false)
        #expect(results.filter { !$0.value }.count == 1)
        let written = batches.withLock { $0 }
        // Every other item was written exactly once, and fewer transactions than items were needed.
        #expect(written.flatMap { $0 }.sorted() == (0..<100).filter { $0 != 13 })
        #expect(written.count < 99)
    }
}
