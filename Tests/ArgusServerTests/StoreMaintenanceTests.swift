import Logging
import Synchronization
import Testing

@testable import ArgusServer

/// The maintenance loop reports a store that keeps failing (once, not at every round), and
/// says nothing when a shutdown interrupts a checkpoint under way.
@Suite struct StoreMaintenanceTests {
    final class Warnings: Sendable {
        let value = Mutex<[String]>([])
    }

    /// Keeps the warnings logged through it.
    struct Recorder: LogHandler {
        let warnings: Warnings
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            if event.level == .warning { warnings.value.withLock { $0.append("\(event.message)") } }
        }
    }

    struct Interrupted: Error {}

    @Test func aFailingStoreIsReportedOnceAndAShutdownMidCheckpointNotAtAll() async throws {
        // A store that fails at every round: one warning for the first failure, none for the next ones.
        let failing = Warnings()
        let rounds = Mutex(0)
        let task = Task {
            await StoreMaintenanceService.repeatedly(every: .milliseconds(1), logger: Logger(label: "t") { _ in Recorder(warnings: failing) }) {
                rounds.withLock { $0 += 1 }
                throw Interrupted()
            }
        }
        while rounds.withLock({ $0 }) < 20 { try await Task.sleep(for: .milliseconds(2)) }
        task.cancel()
        await task.value
        #expect(failing.value.withLock { $0 } == ["store maintenance failed"])

        // A checkpoint that is under way when the task is cancelled, and fails because of it.
        let quiet = Warnings()
        let started = Mutex(false)
        let shutdown = Task {
            await StoreMaintenanceService.repeatedly(every: .milliseconds(1), logger: Logger(label: "t") { _ in Recorder(warnings: quiet) }) {
                started.withLock { $0 = true }
                while !Task.isCancelled { await Task.yield() }
                throw Interrupted()  // as SQLite's interrupted checkpoint
            }
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
        shutdown.cancel()
        await shutdown.value
        #expect(quiet.value.withLock { $0 }.isEmpty)
    }
}
