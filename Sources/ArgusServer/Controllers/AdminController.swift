import ArgusCore
import ArgusStorage
import Hummingbird

/// The admin API (`/admin/v1`), for a secret key with the `admin` scope; an
/// environment-scoped key manages only its own environment.
struct AdminController {
    let runtime: ArgusRuntime
    var auth: SecretKeyAuth { SecretKeyAuth(runtime: runtime) }
    var keys: EncryptionKeys { EncryptionKeys(runtime: runtime) }

    func addRoutes(to router: Router<ArgusRequestContext>) {
        let group = router.group("/admin/v1/environments/{environment}")
        group.get("/encryption-keys") { request, context in
            let env = try await environment(request, context)
            return JSONResponse.make(["keys": .array(try await keys.list(env).map(\.json))])
        }
        group.post("/encryption-keys/activate") { request, context in
            try await respond { try await keys.activate(try await environment(request, context)) }
        }
        group.post("/encryption-keys/rotate") { request, context in
            let confirm = request.uri.queryParameters.get("confirm") == "true"
            return try await respond { try await keys.rotate(try await environment(request, context), confirm: confirm) }
        }
        group.post("/encryption-keys/revert") { request, context in
            try await respond { try await keys.revert(try await environment(request, context)) }
        }
        group.post("/encryption-keys/deactivate") { request, context in
            try await respond { try await keys.deactivate(try await environment(request, context)) }
        }
        group.delete("/encryption-keys/{id}") { request, context in
            let env = try await environment(request, context)
            let id = context.parameters.get("id") ?? ""
            try await translate { try await keys.delete(env, id: id) }
            return JSONResponse.make(["id": .string(id), "deleted": true])
        }
        group.put("/open-response") { request, context in
            let env = try await environment(request, context)
            var request = request
            let body = try await request.collectBody(upTo: 4096)
            guard let enabled = (try? JSONParser.parse(body.readableBytesView))?["enabled"]?.boolValue else {
                throw APIError(.badRequest, "request_cannot_be_parsed", "expected {\"enabled\": true|false}")
            }
            try await Provisioning(runtime: runtime).setOpenResponse(environment: env, enabled: enabled)
            return JSONResponse.make(["environment": .string(env.name), "openResponse": .bool(enabled)])
        }
    }

    /// The path's environment, after checking the key's `admin` scope and reach.
    func environment(_ request: Request, _ context: ArgusRequestContext) async throws -> EnvironmentRecord {
        let key = try await auth.authenticate(request, scope: .admin)
        let name = context.parameters.get("environment") ?? ""
        guard let env = try await runtime.store.environment(named: name), key.environmentID == nil || key.environmentID == env.id
        else { throw APIError(.notFound, "environment_not_found", "no environment named '\(name)'") }
        return env
    }

    func respond(_ body: () async throws -> EncryptionKeys.Shown) async throws -> Response {
        var shown: EncryptionKeys.Shown?
        try await translate { shown = try await body() }
        return JSONResponse.make(shown!.json)
    }

    func translate(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as EncryptionKeys.Failure {
            switch failure {
            case .notFound: throw APIError(.notFound, "encryption_key_not_found", failure.description)
            case .unreadable: throw APIError(.internalServerError, "failed", failure.description)
            default: throw APIError(.conflict, "encryption_key_state", failure.description)
            }
        }
    }
}
