import ArgumentParser
import Foundation
import Hummingbird
import Synchronization

/// `argus benchmark-webhook-sink`: a webhook receiver for benchmarks. Answers
/// 200 to every POST, counts them; `GET /count` gives the count so far.
struct BenchmarkWebhookSink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-webhook-sink", abstract: "A counting webhook receiver (development tool).", shouldDisplay: false)

    @Option(help: "Port on 127.0.0.1; 0 picks a free one (printed).") var port = 0

    func run() async throws {
        let count = Counter()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            _ = try await request.body.collect(upTo: 1 << 20)
            count.value.add(1, ordering: .relaxed)
            return .ok
        }
        router.get("/count") { _, _ -> String in String(count.value.load(ordering: .relaxed)) }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)\n".utf8))
            })
        try await app.runService()
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }
}
