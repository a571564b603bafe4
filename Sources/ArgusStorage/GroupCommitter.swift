import Synchronization

/// Runs a write for many submitters at once: while one batch is being
/// written, new submissions queue up and go together into the next batch.
/// Every submitter resumes when (and only when) the batch holding its item
/// has been written, with that batch's error if it failed.
///
/// When a batch fails, its halves are written separately, down to single
/// items, so that one bad item (a constraint error, say) fails only its own
/// submitter.
///
/// Both stores write `recordEvent` through one: SQLite has a single writer, and each PostgreSQL
/// commit waits for a flush of the write-ahead log, so a group saves one of each per event.
public final class GroupCommitter<Item: Sendable>: Sendable {
    typealias Waiter = CheckedContinuation<Void, any Error>

    struct State: Sendable {
        var pending: [(Item, Waiter)] = []
        var writing = false
    }

    private let state = Mutex(State())
    private let write: @Sendable ([Item]) async throws -> Void
    let maxBatch: Int

    public init(maxBatch: Int = 256, write: @escaping @Sendable ([Item]) async throws -> Void) {
        self.maxBatch = maxBatch
        self.write = write
    }

    public func submit(_ item: Item) async throws {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let startWriter = state.withLock { s -> Bool in
                s.pending.append((item, waiter))
                if s.writing { return false }
                s.writing = true
                return true
            }
            if startWriter { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { s -> ArraySlice<(Item, Waiter)> in
                if s.pending.isEmpty {
                    s.writing = false
                    return []
                }
                let n = min(maxBatch, s.pending.count)
                let batch = ArraySlice(s.pending.prefix(n))
                s.pending.removeFirst(n)
                return batch
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    /// Writes the batch; when it fails, writes its halves separately (down to
    /// single items), so that one bad item fails only its own submitter.
    private func commit(_ batch: ArraySlice<(Item, Waiter)>) async {
        do {
            try await write(batch.map(\.0))
            for (_, waiter) in batch { waiter.resume() }
        } catch {
            if batch.count == 1 {
                batch.first!.1.resume(throwing: error)
                return
            }
            let middle = batch.startIndex + batch.count / 2
            await commit(batch[..<middle])
            await commit(batch[middle...])
        }
    }
}
