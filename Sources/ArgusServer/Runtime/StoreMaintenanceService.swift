import ArgusStorage
import Logging
import ServiceLifecycle

/// Runs the store's housekeeping (`ArgusStore.maintain()`: SQLite's WAL checkpoints) every
/// `interval`, off the request path: commits then never wait for a checkpoint, which kept
/// one identify in a hundred waiting tens of milliseconds (BENCHMARKS.md).
public struct StoreMaintenanceService: Service {
    let runtime: ArgusRuntime
    let interval: Duration

    /// Every 50 ms, with the WAL started over at 4 MiB (`SQLiteStore.restartFrames`): the
    /// writer's share of a restart holds commits for a time that grows with the WAL, so short
    /// cycles keep one browser's identify p99 at about 9 ms instead of 18 (BENCHMARKS.md).
    public init(runtime: ArgusRuntime, interval: Duration = .milliseconds(50)) {
        self.runtime = runtime
        self.interval = interval
    }

    public func run() async throws {
        let store = runtime.store
        await cancelWhenGracefulShutdown {
            await Self.repeatedly(every: interval, logger: runtime.logger) { try await store.maintain() }
        }
    }

    /// Runs `maintain` every `interval` until the task is cancelled. A failure is logged once,
    /// then about once a minute while it lasts. A shutdown cancels the task, and with it a
    /// checkpoint under way (SQLite reports it interrupted): that is not a failure to report.
    static func repeatedly(every interval: Duration, logger: Logger, _ maintain: () async throws -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await maintain()
                failures = 0
            } catch {
                if Task.isCancelled { return }
                failures += 1
                if failures == 1 || failures % 600 == 0 {
                    logger.warning("store maintenance failed", metadata: ["error": "\(error)", "times": "\(failures)"])
                }
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
