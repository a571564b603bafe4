import ArgumentParser
import ArgusCore
import Crypto
import Foundation

/// `argus benchmark-seal`: the cost of sealing one event (raw deflate,
/// AES-256-GCM, base64), as the identify endpoint does it.
struct BenchmarkSeal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-seal", abstract: "Measure sealing cost per event (development tool).", shouldDisplay: false)

    @Option(help: "Events to seal.") var count = 20_000

    func run() throws {
        let event = Event(
            eventID: Identifiers.eventID(timestampMs: 1_763_762_000_123), timestamp: 1_763_762_000_123, environmentID: "env_0123456789abcdef",
            linkedID: "user-42", tags: JSONObject([("cart", 3)]), url: "https://shop.example/checkout?step=2",
            clientReferrer: "https://shop.example/cart", ipAddress: "61.127.217.15",
            userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36",
            identification: IdentificationResult(
                visitorID: Identifiers.visitorID(), visitorFound: true, confidence: 0.991, firstSeenAt: 1_760_000_000_000,
                lastSeenAt: 1_763_000_000_000))
        let document = event.jsonBytes
        let key = SymmetricKey(size: .bits256)
        var total = 0
        let start = ContinuousClock.now
        for _ in 0..<count { total &+= try SealedResult.sealBase64(document, key: key).utf8.count }
        let elapsed = ContinuousClock.now - start
        let us = elapsed.microseconds / Double(count)
        print(JSONWriter.string([
            "events": .int(Int64(count)), "document_bytes": .int(Int64(document.count)),
            "sealed_base64_bytes": .int(Int64(total / count)), "seal_and_base64_us": .double((us * 100).rounded() / 100),
        ]))
    }
}
