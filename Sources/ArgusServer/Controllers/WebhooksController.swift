import ArgusCore
import ArgusStorage
import Hummingbird

/// The admin API for webhooks (`/admin/v1/environments/{environment}/webhooks`),
/// for a secret key with the `admin` scope: endpoints, their delivery log and
/// redelivery (spec §4).
struct WebhooksController {
    let runtime: ArgusRuntime
    var webhooks: Webhooks { Webhooks(runtime: runtime) }
    static let maxBody = 16 * 1024

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.get("/admin/v1/environments/{environment}/webhooks") { request, context in
            let env = try await environment(request, context)
            return JSONResponse.make(["webhooks": .array(try await webhooks.list(env).map(\.json))])
        }
        router.post("/admin/v1/environments/{environment}/webhooks") { request, context in
            let env = try await environment(request, context)
            let body = try await Self.body(request)
            try Self.refuseUnknown(body, allowed: ["url", "enabled", "filter", "basicAuth"])
            guard let url = body["url"]?.stringValue else { throw Self.bad("url (a string) is required") }
            let created = try await translate {
                try await webhooks.create(
                    environment: env, url: url, basicAuth: try Self.basicAuth(body["basicAuth"]) ?? nil,
                    filter: try Self.filter(body["filter"]) ?? WebhookFilter(), enabled: try Self.enabled(body["enabled"]) ?? true)
            }
            guard case .object(var o) = created.record.json else { throw APIError.internalError }
            o.append("secret", .string(created.secret))
            return JSONResponse.make(.object(o), status: .created)
        }
        router.get("/admin/v1/environments/{environment}/webhooks/{id}") { request, context in
            let env = try await environment(request, context)
            let w = try await translate { try await webhooks.endpoint(env, id: context.parameters.get("id") ?? "") }
            let counts = try await runtime.store.webhookDeliveryCounts(endpointID: w.id)
            guard case .object(var o) = w.json else { throw APIError.internalError }
            o.append("secret", .string(try webhooks.secret(of: w)))
            o.append(
                "deliveries",
                .object(JSONObject(WebhookDeliveryStatus.allCases.map { ($0.rawValue, .int(Int64(counts[$0] ?? 0))) })))
            return JSONResponse.make(.object(o))
        }
        router.patch("/admin/v1/environments/{environment}/webhooks/{id}") { request, context in
            let env = try await environment(request, context)
            let body = try await Self.body(request)
            try Self.refuseUnknown(body, allowed: ["url", "enabled", "filter", "basicAuth"])
            var change = Webhooks.Change()
            if let url = body["url"] {
                guard let s = url.stringValue else { throw Self.bad("url must be a string") }
                change.url = s
            }
            change.enabled = try Self.enabled(body["enabled"])
            change.filter = try Self.filter(body["filter"])
            change.basicAuth = try Self.basicAuth(body["basicAuth"])
            let id = context.parameters.get("id") ?? ""
            let w = try await translate { try await webhooks.update(env, id: id, change: change) }
            return JSONResponse.make(w.json)
        }
        router.delete("/admin/v1/environments/{environment}/webhooks/{id}") { request, context in
            let env = try await environment(request, context)
            let id = context.parameters.get("id") ?? ""
            try await translate { try await webhooks.delete(env, id: id) }
            return JSONResponse.make(["id": .string(id), "deleted": true])
        }
        router.get("/admin/v1/environments/{environment}/webhooks/{id}/deliveries") { request, context in
            let env = try await environment(request, context)
            let w = try await translate { try await webhooks.endpoint(env, id: context.parameters.get("id") ?? "") }
            let q = request.uri.queryParameters
            var status: WebhookDeliveryStatus?
            if let s = q.get("status") {
                guard let parsed = WebhookDeliveryStatus(rawValue: s) else {
                    throw Self.bad("status must be pending, delivered or failed")
                }
                status = parsed
            }
            var limit = 50
            if let l = q.get("limit") {
                guard let n = Int(l), (1...500).contains(n) else { throw Self.bad("limit must be an integer from 1 to 500") }
                limit = n
            }
            let before = q.get("before")
            let page = try await runtime.store.webhookDeliveries(endpointID: w.id, status: status, limit: limit, before: before)
            var o = JSONObject()
            o.append("deliveries", .array(page.map(\.json)))
            o.append("next", page.count == limit ? JSON(page.last?.id) : .null)
            return JSONResponse.make(.object(o))
        }
        router.get("/admin/v1/environments/{environment}/webhooks/{id}/deliveries/{delivery}") { request, context in
            let env = try await environment(request, context)
            let w = try await translate { try await webhooks.endpoint(env, id: context.parameters.get("id") ?? "") }
            let deliveryID = context.parameters.get("delivery") ?? ""
            guard let d = try await runtime.store.webhookDelivery(id: deliveryID), d.endpointID == w.id else {
                throw APIError(.notFound, "delivery_not_found", "no delivery '\(deliveryID)' for webhook '\(w.id)'")
            }
            guard case .object(var o) = d.json else { throw APIError.internalError }
            o.append("log", .array(try await runtime.store.webhookAttempts(deliveryID: d.id).map(\.json)))
            return JSONResponse.make(.object(o))
        }
        router.post("/admin/v1/environments/{environment}/webhooks/{id}/deliveries/{delivery}/redeliver") { request, context in
            let env = try await environment(request, context)
            let id = context.parameters.get("id") ?? ""
            let delivery = context.parameters.get("delivery") ?? ""
            let n = try await translate { try await webhooks.redeliver(env, id: id, deliveryID: delivery) }
            guard n > 0 else {
                throw APIError(.conflict, "delivery_pending", "delivery '\(delivery)' is already pending")
            }
            return JSONResponse.make(["redelivered": .int(Int64(n))])
        }
        router.post("/admin/v1/environments/{environment}/webhooks/{id}/redeliver") { request, context in
            let env = try await environment(request, context)
            let id = context.parameters.get("id") ?? ""
            let n = try await translate { try await webhooks.redeliver(env, id: id, deliveryID: nil) }
            return JSONResponse.make(["redelivered": .int(Int64(n))])
        }
    }

    func environment(_ request: Request, _ context: ArgusRequestContext) async throws -> EnvironmentRecord {
        try await AdminController(runtime: runtime).environment(request, context)
    }

    func translate<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as Webhooks.Failure {
            switch failure {
            case .invalid(let s): throw Self.bad(s)
            case .notFound(let s): throw APIError(.notFound, "webhook_not_found", s)
            }
        }
    }

    static func bad(_ message: String) -> APIError { APIError(.badRequest, "request_cannot_be_parsed", message) }

    static func body(_ request: Request) async throws -> JSON {
        var request = request
        let buffer = try await request.collectBody(upTo: maxBody)
        guard let json = try? JSONParser.parse(buffer.readableBytesView), json.objectValue != nil else {
            throw bad("body must be a JSON object")
        }
        return json
    }

    static func refuseUnknown(_ body: JSON, allowed: Set<String>) throws {
        for key in body.objectValue?.keys ?? [] where !allowed.contains(key) {
            throw bad("unknown field '\(key)' (expected \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    static func enabled(_ value: JSON?) throws -> Bool? {
        guard let value else { return nil }
        guard let b = value.boolValue else { throw bad("enabled must be true or false") }
        return b
    }

    static func filter(_ value: JSON?) throws -> WebhookFilter? {
        guard let value else { return nil }
        switch WebhookFilter.parse(value) {
        case .success(let f): return f
        case .failure(let e): throw bad(e.description)
        }
    }

    /// nil: not given; .some(nil): null (no Basic auth).
    static func basicAuth(_ value: JSON?) throws -> Webhooks.BasicAuth?? {
        guard let value else { return nil }
        if value.isNull { return .some(nil) }
        guard let user = value["username"]?.stringValue, let password = value["password"]?.stringValue,
            value.objectValue?.count == 2
        else { throw bad("basicAuth must be {\"username\": \"…\", \"password\": \"…\"} or null") }
        return .some(Webhooks.BasicAuth(username: user, password: password))
    }
}
