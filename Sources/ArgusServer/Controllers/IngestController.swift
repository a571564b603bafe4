import ArgusCore
import ArgusStorage
import Hummingbird

/// Ingest and prefetch (spec §7, Idenza-style): `POST /fingerprint/ingest` and the prefetch status.
struct IngestController {
    let runtime: ArgusRuntime
    var auth: APIKeyAuth { APIKeyAuth(runtime: runtime) }

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.post("/fingerprint/ingest", use: ingest)
        router.get("/fingerprint/prefetch/{request_id}", use: status)
    }

    /// Request ids are Fingerprint's (`1708102555327.NLOjmg`) or any id of 1–128 letters, digits, `.`, `_`, `-`, `:`.
    static func isRequestID(_ s: String) -> Bool {
        (1...128).contains(s.utf8.count)
            && s.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
                    || b == 0x3A
            }
    }

    /// Writes the prefetch task (durably) and answers 202; the same request id again answers the same.
    @Sendable func ingest(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authenticate(request, scope: .ingest)
        let body = try await JSONBody.read(request)
        let requestID = try body.string("request_id", required: true)!
        let subscriberID = try body.integer("subscriber_id", required: true)!
        let sessionID = try body.string("session_id", required: true)!
        let userID = try body.string("user_id", required: true)!
        guard Self.isRequestID(requestID) else {
            throw JSONBody.invalid("request_id", "1 to 128 letters, digits, '.', '_', '-' or ':'")
        }
        let now = runtime.clock.nowMs()
        let (task, _) = try await runtime.store.insertPrefetch(
            PrefetchTask(
                requestID: requestID, environmentID: key.environmentID, subscriberID: subscriberID, sessionID: sessionID,
                userID: userID, createdAt: now))
        return JSONResponse.make(
            [
                "status": "accepted", "mode": "prefetch_pipeline",
                "redis_keys": [.string(PrefetchPipeline.cacheKey(task.requestID))],
                "user_id": .string(task.userID), "session_id": .string(task.sessionID),
            ], status: .accepted)
    }

    /// `GET /fingerprint/prefetch/{request_id}`: pending, done or failed, with attempts and the last error.
    @Sendable func status(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        let key = try await auth.authenticate(request, scope: .ingest)
        let requestID = context.parameters.get("request_id") ?? ""
        let notFound = APIError(.notFound, "prefetch_not_found", "no prefetch for this request_id")
        guard Self.isRequestID(requestID), let task = try await runtime.store.prefetch(requestID: requestID) else { throw notFound }
        if let env = key.environmentID, task.environmentID != env { throw notFound }
        let cached = await runtime.prefetch.cachedValue(task) != nil
        return JSONResponse.make([
            "request_id": .string(task.requestID), "status": .string(task.status.rawValue), "attempts": .int(Int64(task.attempts)),
            "error": JSON(task.lastError), "subscriber_id": .int(task.subscriberID), "session_id": .string(task.sessionID),
            "user_id": .string(task.userID), "created_at": .int(task.createdAt), "updated_at": .int(task.updatedAt),
            "next_attempt_at": task.status == .pending ? .int(task.nextAttemptAt) : .null, "fetched_at": JSON(task.fetchedAt),
            "redis_key": .string(PrefetchPipeline.cacheKey(task.requestID)), "cached": .bool(cached),
            "cache": .string(runtime.prefetch.cache.kind), "source": .string(runtime.prefetch.source.kind),
        ])
    }
}
