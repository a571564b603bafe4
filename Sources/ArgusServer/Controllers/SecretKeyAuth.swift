import Foundation
import ArgusCore
import ArgusStorage
import HTTPTypes
import Hummingbird

/// Authenticates a Server API request by its secret key
/// (`Authorization: Bearer sk_…`, or the older `Auth-API-Key` header).
struct SecretKeyAuth {
    let runtime: ArgusRuntime
    var keyRing: KeyRing { runtime.keyRing }
    static let authAPIKeyHeader = HTTPField.Name("Auth-API-Key")!

    /// The key, if it is valid and holds `scope`; throws the v4 errors otherwise.
    func authenticate(_ request: Request, scope: Scope) async throws -> KeyRecord {
        guard let secret = Self.presentedSecret(request) else { throw APIError.secretKeyRequired }
        guard let key = try await keyRing.secretKey(secret) else { throw APIError.secretKeyNotFound }
        return try admit(key, scope: scope)
    }

    /// A valid key's scope check and its per-key rate limit (shared by every
    /// way a secret key is presented).
    func admit(_ key: KeyRecord, scope: Scope) throws -> KeyRecord {
        guard key.scopes.contains(scope) else { throw APIError.insufficientScope(scope) }
        let config = runtime.config
        let rate = key.rateLimitPerSecond.map(Double.init) ?? config.secretKeyRate
        if let wait = runtime.rateLimiter.acquire(key.id, ratePerSecond: rate, burst: max(config.secretKeyBurst, rate)) {
            throw APIError.tooManyRequests(retryAfter: wait)
        }
        return key
    }

    static func presentedSecret(_ request: Request) -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let secret = parts[1].trimmingCharacters(in: .whitespaces)
                return secret.isEmpty ? nil : secret
            }
            return nil
        }
        if let key = request.headers[authAPIKeyHeader]?.trimmingCharacters(in: .whitespaces), !key.isEmpty { return key }
        return nil
    }
}
