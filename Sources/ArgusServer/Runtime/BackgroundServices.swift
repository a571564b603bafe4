import ServiceLifecycle

/// Flushes the per-key seal counters to the store every second and once more at shutdown.
public struct SealCountFlusher: Service {
    let runtime: ArgusRuntime

    public init(runtime: ArgusRuntime) { self.runtime = runtime }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                await runtime.flushSealCounts()
            }
        }
        await runtime.flushSealCounts()
    }
}
