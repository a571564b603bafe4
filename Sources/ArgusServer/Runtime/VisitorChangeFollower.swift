import Logging
import ServiceLifecycle

/// With several instances on one database, keeps this instance's identification index in step
/// with what the others write: every `interval`, `VisitorIdentifier.followChanges()`. A visitor
/// another instance created is a candidate here from the next poll on; until then a browser
/// whose request lands on another instance than its previous one is matched on that instance's
/// knowledge only. Does nothing when the store has one writer (SQLite).
public struct VisitorChangeFollower: Service {
    let runtime: ArgusRuntime
    let interval: Duration

    public init(runtime: ArgusRuntime, interval: Duration) {
        self.runtime = runtime
        self.interval = interval
    }

    public func run() async throws {
        guard runtime.store.sharedByInstances else {
            try? await gracefulShutdown()  // nothing to follow; a service that returns early stops the group
            return
        }
        try? await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await runtime.identifier.followChanges()
                    failures = 0
                } catch {
                    failures += 1
                    if failures == 1 || failures % 300 == 0 {  // once, then about once a minute while it lasts
                        runtime.logger.warning(
                            "could not follow visitor changes", metadata: ["error": "\(error)", "times": "\(failures)"])
                    }
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
