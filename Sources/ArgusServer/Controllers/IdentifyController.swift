import ArgusCore
import ArgusSignals
import ArgusStorage
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// `POST /v1/identify` (agent-protocol.md): validates, authenticates the
/// public key, identifies, stores the event, answers the agent.
struct IdentifyController {
    let runtime: ArgusRuntime
    /// `argus_identify_held_total{limit="public_key"|"client_ip"}`: requests held for their token
    /// (`admit`); refused ones show as `argus_http_requests_total{status="429"}`.
    let held: [Limit: Counter]

    enum Limit: String, CaseIterable { case publicKey = "public_key", clientIP = "client_ip" }

    init(runtime: ArgusRuntime) {
        self.runtime = runtime
        held = runtime.metrics.argusCounters(
            "identify_held", label: "limit", help: "Identify requests held until their rate-limit token arrived, by limit")
    }

    static let proxySecretHeader = HTTPField.Name("FPJS-Proxy-Secret")!
    static let proxyClientIPHeader = HTTPField.Name("FPJS-Proxy-Client-IP")!
    static let forwardedForHeader = HTTPField.Name("X-Forwarded-For")!

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.post("/v1/identify", use: identify)
        router.on("/v1/identify", method: .options, use: preflight)
    }

    @Sendable func preflight(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        var headers = HTTPFields()
        if let origin = request.headers[.origin] {
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "POST, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Content-Type"
            headers[.accessControlMaxAge] = "86400"
        }
        headers[.vary] = "Origin"
        return Response(status: .noContent, headers: headers)
    }

    @Sendable func identify(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        var request = request
        let origin = request.headers[.origin]
        do {
            var response = try await handle(&request, context: context, origin: origin)
            addCORS(&response.headers, origin: origin)
            return response
        } catch let error as APIError {
            var response = try error.response(from: request, context: context)
            addCORS(&response.headers, origin: origin)
            return response
        }
    }

    func addCORS(_ headers: inout HTTPFields, origin: String?) {
        headers[.vary] = "Origin"
        if let origin {
            headers[.accessControlAllowOrigin] = origin
            // Not a safelisted response header: without this a page on another origin cannot read
            // how long a 429 asks it to wait (the agent retries once after it).
            headers[.accessControlExposeHeaders] = "Retry-After"
        }
    }

    func handle(_ request: inout Request, context: ArgusRequestContext, origin: String?) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: IdentifyRequest.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "request body is larger than \(IdentifyRequest.maxBodyBytes) bytes")
        }
        let parsed: JSON
        do {
            parsed = try JSONParser.parse(body.readableBytesView)
        } catch {
            throw APIError(.badRequest, "request_cannot_be_parsed", "body is not valid JSON: \(error)")
        }
        let identify: IdentifyRequest
        switch IdentifyRequest.validate(parsed) {
        case .success(let r): identify = r
        case .failure(let e): throw APIError(.badRequest, "request_cannot_be_parsed", "invalid fields: \(e)")
        }

        guard let key = try await runtime.keyRing.publicKey(identify.publicKey), let environmentID = key.environmentID else {
            throw APIError(.forbidden, "public_key_not_found", "unknown or revoked public key")
        }
        let limits = runtime.config
        // The key's own rate (`argus keys create --rate`, burst twice that), else the server's.
        try await admit(
            key.id, .publicKey, ratePerSecond: key.rateLimitPerSecond.map(Double.init) ?? limits.publicKeyRate,
            burst: key.rateLimitPerSecond.map { 2 * Double($0) } ?? limits.publicKeyBurst)
        if let origin, !key.allowedOrigins.isEmpty, !key.allowedOrigins.contains(origin) {
            throw APIError(.forbidden, "origin_not_allowed", "this public key does not accept requests from \(origin)")
        }

        let (clientIP, viaProxy) = try await clientIP(request, context: context, environmentID: environmentID)
        if limits.clientIPRate > 0 {
            try await admit(
                "ip|" + environmentID + "|" + clientIP, .clientIP, ratePerSecond: limits.clientIPRate, burst: limits.clientIPBurstInForce)
        }
        let now = runtime.clock.nowMs()
        let token = identify.token.flatMap(runtime.tokenSigner.verify)
        let visit = Visit(environmentID: environmentID, request: identify, token: token, clientIP: clientIP, timestampMs: now)
        let resolution = try await runtime.identifier.resolve(visit)
        let userAgent = identify.components.userAgent ?? request.headers[.userAgent] ?? ""
        let signals = await runtime.signals.evaluate(
            environmentID: environmentID, visitorID: resolution.visitorID, components: identify.components,
            userAgent: userAgent, clientIP: clientIP, linkedID: identify.linkedID, tokenMismatch: resolution.tokenMismatch,
            lookPopulation: resolution.lookPopulation, at: now)

        let event = Event(
            eventID: Identifiers.eventID(timestampMs: now), timestamp: now, environmentID: environmentID,
            linkedID: identify.linkedID, tags: identify.tag ?? JSONObject(), url: identify.url ?? "",
            clientReferrer: identify.referrer ?? "", ipAddress: clientIP,
            userAgent: userAgent,
            identification: IdentificationResult(
                visitorID: resolution.visitorID, visitorFound: resolution.visitorFound, confidence: resolution.confidence,
                firstSeenAt: resolution.firstSeenAt, lastSeenAt: resolution.lastSeenAt),
            signals: signals.eventFields)
        let document = event.jsonBytes
        // Sealed with the environment's active key: exactly the bytes GET /v4/events/{id} serves.
        var sealed: String?
        if let sealing = try await runtime.keyRing.sealingKey(environmentID: environmentID, secretBox: runtime.secretBox) {
            sealed = try SealedResult.sealBase64(document, key: sealing.key)
            runtime.countSeal(keyID: sealing.id)
        }
        let stored = StoredEvent(
            id: event.eventID, environmentID: environmentID, visitorID: resolution.visitorID, timestamp: now,
            linkedID: identify.linkedID, ipAddress: clientIP, document: document,
            components: Array(body.readableBytesView), risk: signals.risk, country: signals.ip?.country)
        try await runtime.store.recordEvent(stored, visitor: resolution.visitor, joined: resolution.joined)

        let newToken = runtime.tokenSigner.sign(
            VisitorToken(
                environmentID: environmentID, visitorID: resolution.visitorID, issuedAtMs: now, instance: resolution.instance))
        var answer = JSONObject()
        if let sealed, viaProxy, try await runtime.keyRing.environment(environmentID)?.openResponse == true {
            // Open client response (spec §5): the proxy unseals the event in flight; the browser learns only its token.
            answer.append("v", "2")
            answer.append("requestId", .string(event.eventID))
            answer.append("sealedResult", .string(sealed))
            answer.append(
                "products",
                [
                    "identification": [
                        "data": [
                            "visitorToken": .string(newToken),
                            "result": [
                                "visitorId": "", "visitorFound": false, "meta": ["version": .string(Self.openResponseVersion)],
                                "confidence": ["score": 0],
                            ],
                        ]
                    ]
                ])
        } else {
            answer.append("requestId", .string(event.eventID))
            answer.append("visitorId", .string(resolution.visitorID))
            answer.append("visitorFound", .bool(resolution.visitorFound))
            answer.append("confidence", ["score": .double(resolution.confidence)])
            answer.append("token", .string(newToken))
            if let sealed { answer.append("sealedResult", .string(sealed)) }
            answer.append("risk", DeviceJSON.risk(stored.risk))
        }
        var response = JSONResponse.make(.object(answer))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static let openResponseVersion = "argus-1"

    /// Waits for the key's token when it comes within the hold (`ArgusConfig.publicKeyMaxHoldMs`);
    /// throws 429 with `Retry-After` when it does not.
    func admit(_ key: String, _ limit: Limit, ratePerSecond: Double, burst: Double) async throws {
        switch runtime.rateLimiter.admit(key, ratePerSecond: ratePerSecond, burst: burst, maxHoldMs: runtime.config.publicKeyMaxHoldMs) {
        case .now: break
        case .after(let ms):
            held[limit]?.increment()
            try await Task.sleep(for: .milliseconds(ms))
        case .refused(let wait): throw APIError.tooManyRequests(retryAfter: wait)
        }
    }

    /// The browser's address: from a valid proxy integration's header, else
    /// from a trusted reverse proxy's X-Forwarded-For, else the TCP peer; and
    /// whether the request came through a proxy integration with a valid secret.
    func clientIP(
        _ request: Request, context: ArgusRequestContext, environmentID: String
    ) async throws -> (ip: String, viaProxy: Bool) {
        let peer = context.peerAddress.flatMap(IPAddress.canonical) ?? "0.0.0.0"
        if let secret = request.headers[Self.proxySecretHeader],
            try await runtime.keyRing.isProxySecret(secret, environmentID: environmentID)
        {
            if let claimed = request.headers[Self.proxyClientIPHeader].flatMap(IPAddress.canonical) {
                return (claimed, true)
            }
            return (peer, true)
        }
        if runtime.config.trustedProxies.contains(peer), let forwarded = request.headers[Self.forwardedForHeader],
            let last = forwarded.split(separator: ",").last.flatMap(IPAddress.canonical)
        {
            return (last, false)
        }
        return (peer, false)
    }
}
