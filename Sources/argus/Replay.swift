import ArgumentParser
import ArgusCore
import ArgusIdentification
import Foundation

/// `argus replay`: a development tool. Reads the evaluator's visits as JSON
/// lines (`{"device", "storage", "ip", "url", "referrer", "components"}`) in time order, plays
/// each browser's token storage as the evaluator does (`EvaluatorBrowsers`), runs the
/// identification engine alone (no HTTP, no storage) and prints one line
/// per visit: `{"visitorId", "basis", "confidence"}`.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay evaluator visits through the identification engine (development tool).", shouldDisplay: false)

    @Option(help: "JSON object of weight overrides.") var weights = "{}"
    @Option(help: "JSON array of decision-model coefficients.") var model: String?
    @Option(help: "Merge threshold of the decision model.") var threshold: Double?
    @Option(help: "Join threshold of the decision model.") var join: Double?
    @Option(help: "JSON array of join-model coefficients.") var joinModel: String?
    @Option(help: "Match policy: auto, household or fleet.") var policy = "auto"
    @Option(help: "A decision-tree ensemble's text file (tools/fit_trees.py), or 'none' for the logistic model.")
    var trees: String?
    @Option(help: "A join-tree ensemble's text file (tools/fit_trees.py --target join), or 'none'.")
    var joinTrees: String?
    @Flag(help: "Report where each device's first visitor stands at its visits without token (`first`).")
    var locateFirst = false

    /// A JSON array of exactly `count` numbers, given as `option`.
    static func coefficients(_ text: String, option: String, count: Int) throws -> [Double] {
        let values = try JSONParser.parse(text).arrayValue?.compactMap(\.doubleValue) ?? []
        guard values.count == count else { throw ValidationError("\(option) needs \(count) numbers") }
        return values
    }

    /// A tree ensemble from its text file, or none for "none".
    static func ensemble(_ path: String, features: Int) throws -> TreeEnsemble? {
        if path == "none" { return nil }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let ensemble = TreeEnsemble(text: text), ensemble.features <= features else {
            throw ValidationError("\(path) is not a tree ensemble over \(features) features")
        }
        return ensemble
    }

    /// Where the device's first visitor stands at a visit without token, before the engine
    /// decides (`--locate-first`; tools/replay.py --chains: why a returning browser was missed):
    /// whether the blocking keys found it, its score, how many candidates scored higher, and
    /// whether it is a private-only visitor (never a candidate) or joined into another.
    func firstVisitor(_ id: String?, _ observation: Observation, _ engine: IdentificationEngine) -> JSON? {
        guard let id, let p = engine.index.profile(id) else { return nil }
        var o = observation
        o.formerAddresses = engine.index.formerAddresses(of: o.ip)
        let evaluated = engine.index.evaluateCandidates(for: o, excluding: nil, weights: engine.weights)
        let found = evaluated.matches.contains { engine.index.profile(atSlot: $0.slot).visitorID == id }
        let m = Similarity.evaluate(o, p, engine.weights)
        return .object(JSONObject([
            ("found", .bool(found)), ("score", m.map { .double($0.score) } ?? .null),
            ("above", .int(Int64(m.map { s in evaluated.matches.count { $0.match.score > s.score } } ?? -1))),
            ("merged", .bool(p.mergedInto != nil)), ("ephemeral", .bool(p.ephemeral)),
        ]))
    }

    func run() throws {
        var w = Weights()
        let overrides = try JSONParser.parse(weights)
        for (key, value) in overrides.objectValue?.entries ?? [] {
            guard let v = value.doubleValue, w.set(key, v) else { throw ValidationError("unknown weight \(key)") }
        }
        guard let matchPolicy = MatchPolicy(rawValue: policy) else { throw ValidationError("unknown policy \(policy)") }
        var decision = DecisionModel(policy: matchPolicy)
        if let model {
            decision.coefficients = try Self.coefficients(model, option: "--model", count: DecisionModel.fitted.count)
            decision.trees = nil
        }
        if let trees { decision.trees = try Self.ensemble(trees, features: DecisionFeatures.names.count) }
        if let joinTrees { decision.joinTrees = try Self.ensemble(joinTrees, features: JoinFeatures.names.count) }
        if let threshold { decision.threshold = threshold }
        if let join { decision.joinThreshold = join }
        if let joinModel {
            decision.joinCoefficients = try Self.coefficients(joinModel, option: "--join-model", count: JoinFeatures.names.count)
            decision.joinTrees = nil
        }
        let env = ProcessInfo.processInfo.environment
        if let v = env["ARGUS_T_BASE"].flatMap(Double.init) { decision.threshold = v }
        if let v = env["ARGUS_T_KNOWN"].flatMap(Double.init) { decision.thresholdKnownAddress = v }
        if let v = env["ARGUS_T_PRIVATE"].flatMap(Double.init) { decision.thresholdPrivate = v }
        if let v = env["ARGUS_T_EXPIRY"].flatMap(Double.init) { decision.thresholdExpiry = v }
        if let v = env["ARGUS_PROV_LIMIT"].flatMap(Int.init) { decision.provisionalLimit = v }
        if let v = env["ARGUS_PROV_MARGIN"].flatMap(Double.init) { decision.provisionalMargin = v }
        if let v = env["ARGUS_PROV_FLOOR"].flatMap(Double.init) { decision.provisionalFloor = v }
        if let v = env["ARGUS_RERANK"].flatMap(Int.init) { decision.rerankLimit = v }
        if let v = env["ARGUS_RERANK_MARGIN"].flatMap(Double.init) { decision.rerankMargin = v }
        var engine = IdentificationEngine(weights: w, model: decision)
        var browsers = EvaluatorBrowsers()
        var time: Int64 = 0
        var ids = Set<String>()
        var firstIDs: [Int64: String] = [:]
        var fleetVisits = 0, wasFleet = false, flips: [Int] = []
        var out = [UInt8]()
        while let line = readLine(strippingNewline: true) {
            let visit = try JSONParser.parse(line)
            let device = visit["device"]?.intValue ?? -1
            let storage = visit["storage"]?.stringValue ?? "kept"
            let token = browsers.outgoing(device: device, storage: storage)
            let observation = Observation(
                components: Components(raw: visit["components"]?.objectValue ?? JSONObject()),
                clientIP: visit["ip"]?.stringValue ?? "", url: visit["url"]?.stringValue,
                referrer: visit["referrer"]?.stringValue)
            // The visit's time when the line gives one (`t`, ms: the simulated clock), else one
            // millisecond after the previous visit (the HTTP evaluator's visits come back to back).
            time = max(time + 1, visit["t"]?.intValue ?? 0)
            let located = locateFirst && token == nil ? firstVisitor(firstIDs[device], observation, engine) : nil
            let d = browsers.identify(observation, device: device, storage: storage, token: token, at: time, engine: &engine)
            ids.insert(d.visitorID)
            if firstIDs[device] == nil { firstIDs[device] = d.visitorID }
            if engine.evidence.showsFleets { fleetVisits += 1 }
            if engine.evidence.showsFleets != wasFleet { flips.append(Int(time)); wasFleet.toggle() }
            JSONWriter.write(
                [
                    "visitorId": .string(d.visitorID), "basis": .string(d.basis.rawValue), "confidence": .double(d.confidence),
                    "tokenMismatch": .bool(d.tokenMismatch), "scores": .array(d.topScores.map { .double($0) }), "candidates": .int(Int64(d.candidates)),
                    "top": d.topCandidate.map { .string($0) } ?? .null, "prov": .int(Int64(d.profile.provisional.count)),
                    "provIds": .array(d.profile.provisional.map { .string($0) }),
                    "join": d.joinTrial.map { t in
                        .object(JSONObject([
                            ("rival", .string(t.rival)), ("p", .double(t.probability)),
                            ("features", .array(t.features.vector.map { .double($0) })),
                            ("logistic", .double(decision.joinLogisticScore(t.features.vector))),
                        ]))
                    } ?? .null,
                    "first": located ?? .null,
                    "features": d.features.map { .array($0.vector.map { .double($0) }) } ?? .null,
                    "logistic": d.features.map { .double(decision.logisticScore($0.vector)) } ?? .null,
                    "weighed": .array(
                        d.weighed.map { t in
                            .object(JSONObject([
                                ("id", .string(t.visitorID)), ("p", .double(t.probability)),
                                ("features", .array(t.features.vector.map { .double($0) })),
                                ("logistic", .double(decision.logisticScore(t.features.vector))),
                            ]))
                        }),
                ],
                into: &out)
            out.append(0x0A)
            if out.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(out))
                out.removeAll(keepingCapacity: true)
            }
        }
        FileHandle.standardOutput.write(Data(out))
        if ProcessInfo.processInfo.environment["ARGUS_REPLAY_EVIDENCE"] != nil {
            // Live counts, and what a restart would recount from the stored profiles.
            var recounted = FleetEvidence()
            for id in ids { if let p = engine.index.profile(id) { recounted.count(p) } }
            let e = engine.evidence
            FileHandle.standardError.write(
                Data("attachments \(e.attachments) evictions \(e.evictions) rate \(e.rate); recounted \(recounted.attachments) \(recounted.evictions) rate \(recounted.rate); visits under fleet evidence \(fleetVisits) of \(time), flips at \(flips.prefix(12))\n".utf8))
        }
    }
}
