import ArgusStorage
import Logging
import ServiceLifecycle

/// Spec §6 retention: every environment's events and devices older than its
/// `retentionDays` are purged, in short transactions (`retentionBatchSize`
/// rows) with a yield between them, so identification traffic keeps going.
/// A purged device is forgotten by the identification index first, so the
/// browser coming back is a new visitor, and reads as 404 on `/v1/device`.
public struct RetentionJob: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var events = 0
        public var devices = 0
    }

    let runtime: ArgusRuntime

    public init(runtime: ArgusRuntime) { self.runtime = runtime }

    /// One pass over every environment, at the runtime clock's time.
    @discardableResult
    public func runOnce() async throws -> Outcome {
        var outcome = Outcome()
        let store = runtime.store
        let batch = max(1, runtime.config.retentionBatchSize)
        let now = runtime.clock.nowMs()
        for env in try await store.environments() where env.retentionDays > 0 {
            let cutoff = now - Int64(env.retentionDays) * 86_400_000
            while true {
                let n = try await store.purgeEvents(environmentID: env.id, before: cutoff, limit: batch)
                outcome.events += n
                if n < batch { break }
                await Task.yield()
            }
            while true {
                let expired = try await store.expiredDevices(environmentID: env.id, before: cutoff, limit: batch)
                var ids = expired
                for id in expired {
                    for joined in try await runtime.identifier.erase(visitorID: id, environmentID: env.id) where !ids.contains(joined) {
                        ids.append(joined)
                    }
                }
                outcome.devices += try await store.purgeDevices(ids: ids, environmentID: env.id, before: cutoff)
                if expired.count < batch { break }
                await Task.yield()
            }
        }
        return outcome
    }
}

/// Runs the retention job shortly after start and then every `retentionIntervalSeconds`.
public struct RetentionService: Service {
    let runtime: ArgusRuntime

    public init(runtime: ArgusRuntime) { self.runtime = runtime }

    public func run() async throws {
        let job = RetentionJob(runtime: runtime)
        try? await cancelWhenGracefulShutdown {
            try await Task.sleep(for: .seconds(5))
            while !Task.isCancelled {
                do {
                    let outcome = try await job.runOnce()
                    if outcome.events + outcome.devices > 0 {
                        runtime.logger.info(
                            "retention purged", metadata: ["events": "\(outcome.events)", "devices": "\(outcome.devices)"])
                    }
                } catch {
                    runtime.logger.warning("retention run failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(runtime.config.retentionIntervalSeconds))
            }
        }
    }
}
