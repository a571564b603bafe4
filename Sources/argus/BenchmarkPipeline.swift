import ArgumentParser
import ArgusCore
import ArgusIdentification
import ArgusSQLite
import ArgusStorage
import ArgusSignals
import Crypto
import Foundation

/// `argus benchmark-pipeline`: what each CPU stage of one `/v1/identify` costs
/// in-process, without HTTP or storage: parsing and validating the body,
/// reducing it to an observation, the detectors, the event document, the
/// stored body's compression, the token. The stages that are not here
/// (matching: `benchmark-engine`; HTTP, actors, SQLite) are what a whole
/// request costs beyond their sum.
struct BenchmarkPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-pipeline", abstract: "Measure the CPU stages of an identify (development tool).",
        shouldDisplay: false)

    @Option(help: "The agent's components (a JSON object).") var components = "bench/components.json"
    @Option(help: "Iterations per stage.") var count = 20_000

    func run() throws {
        guard let data = FileManager.default.contents(atPath: components) else { throw ValidationError("cannot read \(components)") }
        let body = Array(#"{"v":1,"publicKey":"pk_bench","token":null,"url":"https://shop.example/","components":"#.utf8)
            + Array(data) + [UInt8(ascii: "}")]
        let parsed = try JSONParser.parse(body)
        guard case .success(let request) = IdentifyRequest.validate(parsed) else { throw ValidationError("invalid body") }
        let signer = VisitorTokenSigner(key: SymmetricKey(size: .bits256))
        let userAgent = request.components.userAgent ?? ""
        let signals = Signals.evaluate(SignalContext(components: request.components, userAgent: userAgent, ip: nil, zoneCountries: [:]))
        let event = Event(
            eventID: Identifiers.eventID(timestampMs: 1_700_000_000_000), timestamp: 1_700_000_000_000, environmentID: "env",
            linkedID: nil, tags: JSONObject(), url: request.url ?? "", clientReferrer: "", ipAddress: "81.2.69.160",
            userAgent: userAgent,
            identification: IdentificationResult(
                visitorID: Identifiers.visitorID(), visitorFound: true, confidence: 0.99, firstSeenAt: 1, lastSeenAt: 2),
            signals: signals.eventFields)
        let token = signer.sign(VisitorToken(environmentID: "env", visitorID: "v", issuedAtMs: 1, instance: 7))

        var rows: [(String, Double)] = []
        var sink = 0
        func stage(_ name: String, _ work: () throws -> Int) rethrows {
            for _ in 0..<min(count, 1000) { sink &+= try work() }  // warm-up
            let start = ContinuousClock.now
            for _ in 0..<count { sink &+= try work() }
            let d = ContinuousClock.now - start
            rows.append((name, d.microseconds / Double(count)))
        }
        try stage("parse body (JSON)") { try JSONParser.parse(body).objectValue?.count ?? 0 }
        stage("validate") {
            if case .success(let r) = IdentifyRequest.validate(parsed) { return r.publicKey.utf8.count }
            return 0
        }
        stage("observation") { Observation(components: request.components, clientIP: "81.2.69.160").hardware.hashValue & 1 }
        stage("signals + their JSON") {
            let s = Signals.evaluate(SignalContext(components: request.components, userAgent: userAgent, ip: nil, zoneCountries: [:]))
            return s.eventFields.count
        }
        stage("event document (JSON)") { event.jsonBytes.count }
        stage("stored body (deflate, dictionary)") { StoredComponents.encode(body).count }
        stage("token verify + sign") {
            (signer.verify(token) != nil ? 1 : 0)
                + signer.sign(VisitorToken(environmentID: "env", visitorID: "v", issuedAtMs: 2, instance: 7)).utf8.count
        }
        var out = JSONObject()
        for (name, us) in rows { out.append(name, .double((us * 100).rounded() / 100)) }
        out.append("total", .double((rows.reduce(0) { $0 + $1.1 } * 100).rounded() / 100))
        out.append("body_bytes", .int(Int64(body.count)))
        out.append("stored_body_bytes", .int(Int64(StoredComponents.encode(body).count)))
        out.append("sink", .int(Int64(sink & 1)))
        print(JSONWriter.string(.object(out)))
    }
}
