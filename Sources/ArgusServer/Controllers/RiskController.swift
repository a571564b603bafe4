import ArgusCore
import ArgusRisk
import ArgusStorage
import Hummingbird

/// BIN risk scoring (spec §7, Idenza-style): `POST /risk/bin/score`.
struct RiskController {
    let runtime: ArgusRuntime
    var auth: APIKeyAuth { APIKeyAuth(runtime: runtime) }
    var pipeline: PrefetchPipeline { runtime.prefetch }

    static let hourMs: Int64 = 3_600_000
    static let dayMs: Int64 = 86_400_000

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.post("/risk/bin/score", use: score)
    }

    /// Scores a BIN, correlated with the prefetched event of `request_id` (else the newest of
    /// `session_id`, else of `user_id`) when there is one; without one the score is still given.
    @Sendable func score(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authenticate(request, scope: .risk)
        let body = try await JSONBody.read(request)
        let bin = try body.string("bin", required: true, maxLength: 32)!
        guard BINTable.isValidBIN(bin) else { throw APIError(.badRequest, "invalid_bin", "bin must be 6 to 8 digits") }
        let requestID = try body.string("request_id", required: false)
        let sessionID = try body.string("session_id", required: false)
        var userID = try body.string("user_id", required: false)
        let amount = try body.number("amount")
        let currency = try body.string("currency", required: false, maxLength: 3)
        if let currency, currency.count != 3 || !currency.allSatisfy(\.isLetter) {
            throw JSONBody.invalid("currency", "an ISO 4217 code of 3 letters")
        }
        let billing = try body.string("billing_country", required: false, maxLength: 2)
        if let billing, billing.count != 2 || !billing.allSatisfy(\.isLetter) {
            throw JSONBody.invalid("billing_country", "an ISO 3166 alpha-2 code")
        }
        if let amount, amount < 0 || !amount.isFinite { throw JSONBody.invalid("amount", "a number of at least 0") }

        // The prefetched event, if any (never an error when there is none).
        let env = key.environmentID
        var task: PrefetchTask?
        if let requestID, IngestController.isRequestID(requestID), let t = try await runtime.store.prefetch(requestID: requestID),
            env == nil || t.environmentID == env
        {
            task = t
        } else if sessionID != nil || userID != nil {
            task = try await runtime.store.latestPrefetch(environmentID: env, sessionID: sessionID, userID: userID)
        }
        var signals: EventSignals?
        if let task, let value = await pipeline.cachedValue(task), let cached = try? JSONParser.parse(value), let event = cached["event"] {
            var raw: String?
            if event["vpn_origin_timezone"] == nil, let id = event["event_id"]?.stringValue,
                let stored = try await runtime.store.event(id: id, environmentID: task.environmentID)
            {
                raw = (try? JSONParser.parse(stored.components))?["components"]?["timezone"]?.stringValue
            }
            signals = EventSignals(event: event, rawTimezone: raw)
        }
        if userID == nil { userID = task?.userID }

        // Velocity: distinct BINs (6-digit prefixes) per device and per user, in 1 h and 24 h.
        let now = runtime.clock.nowMs()
        let scope = task?.environmentID ?? env ?? "*"
        var subjects: [String] = []
        if let visitor = signals?.visitorID { subjects.append("device:\(scope):\(visitor)") }
        if let userID { subjects.append("user:\(scope):\(userID)") }
        let counts = try await runtime.store.observeBIN(
            String(bin.prefix(6)), subjects: subjects, at: now, since: [now - Self.hourMs, now - Self.dayMs])
        var deviceVelocity: BINVelocity?
        var userVelocity: BINVelocity?
        var i = 0
        if signals?.visitorID != nil {
            deviceVelocity = BINVelocity(lastHour: counts[i][0], lastDay: counts[i][1])
            i += 1
        }
        if userID != nil { userVelocity = BINVelocity(lastHour: counts[i][0], lastDay: counts[i][1]) }

        let record = pipeline.binTable.lookup(bin)
        let result = BINScorer.score(
            BINScoreInput(
                bin: bin, record: record, event: signals, billingCountry: billing, deviceVelocity: deviceVelocity,
                userVelocity: userVelocity),
            timezones: pipeline.timezones)
        let tzCountry = signals?.browserTimezone.flatMap(pipeline.timezones.country)
        return JSONResponse.make([
            "bin": .string(bin), "score": .int(Int64(result.score)), "level": .string(result.level.rawValue),
            "confidence": .double(result.level.confidence),
            "reasons": JSON(strings: result.codes),
            "reason_details": .array(
                result.reasons.map { ["code": .string($0.code), "points": .int(Int64($0.points)), "detail": .string($0.detail)] }),
            "bin_record": record?.json ?? .null,
            "correlation": [
                "request_id": JSON(task?.requestID), "prefetch_status": JSON(task?.status.rawValue),
                "event_found": .bool(signals != nil), "visitor_id": JSON(signals?.visitorID), "user_id": JSON(userID),
                "ip_country": JSON(signals?.ipCountry), "browser_timezone": JSON(signals?.browserTimezone),
                "timezone_country": JSON(tzCountry),
            ],
            "velocity": ["device": deviceVelocity?.json ?? .null, "user": userVelocity?.json ?? .null],
            "amount": JSON(amount), "currency": JSON(currency?.uppercased()),
        ])
    }
}
