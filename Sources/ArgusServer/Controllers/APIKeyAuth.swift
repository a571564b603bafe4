import ArgusCore
import ArgusStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Authenticates the Idenza-style endpoints (spec §7) by `X-API-Key: <secret key>`:
/// 401 when the key is missing or invalid, 403 when it lacks the scope.
struct APIKeyAuth {
    let runtime: ArgusRuntime
    static let header = HTTPField.Name("X-API-Key")!

    static let missing = APIError(.unauthorized, "unauthorized", "the X-API-Key header is missing")
    static let invalid = APIError(.unauthorized, "unauthorized", "the X-API-Key is not a valid secret key")

    func authenticate(_ request: Request, scope: Scope) async throws -> KeyRecord {
        guard let secret = request.headers[Self.header]?.trimmingCharacters(in: .whitespaces), !secret.isEmpty else {
            throw Self.missing
        }
        guard let key = try await runtime.keyRing.secretKey(secret) else { throw Self.invalid }
        return try SecretKeyAuth(runtime: runtime).admit(key, scope: scope)
    }
}

/// Reads a JSON object body and its typed fields, with 400s that name the field.
struct JSONBody {
    let object: JSONObject

    static func read(_ request: Request, limit: Int = 16 * 1024) async throws -> JSONBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "body_too_large", "the body is larger than \(limit) bytes")
        }
        let value: JSON
        do {
            value = try JSONParser.parse(buffer.readableBytesView)
        } catch {
            throw APIError(.badRequest, "invalid_json", "the body is not valid JSON: \(error)")
        }
        guard case .object(let o) = value else {
            throw APIError(.badRequest, "invalid_json", "the body must be a JSON object")
        }
        return JSONBody(object: o)
    }

    static func missing(_ field: String) -> APIError {
        APIError(.badRequest, "missing_field", "\(field) is required")
    }

    static func invalid(_ field: String, _ expected: String) -> APIError {
        APIError(.badRequest, "invalid_field", "\(field) must be \(expected)")
    }

    /// A string field (null counts as absent), at most `maxLength` characters.
    func string(_ field: String, required: Bool, maxLength: Int = 256) throws -> String? {
        guard let v = object[field], !v.isNull else {
            if required { throw Self.missing(field) }
            return nil
        }
        guard case .string(let s) = v else { throw Self.invalid(field, "a string") }
        guard !s.isEmpty, s.count <= maxLength else { throw Self.invalid(field, "a string of 1 to \(maxLength) characters") }
        return s
    }

    func integer(_ field: String, required: Bool) throws -> Int64? {
        guard let v = object[field], !v.isNull else {
            if required { throw Self.missing(field) }
            return nil
        }
        guard case .int(let i) = v else { throw Self.invalid(field, "an integer") }
        return i
    }

    func number(_ field: String) throws -> Double? {
        guard let v = object[field], !v.isNull else { return nil }
        guard let d = v.doubleValue else { throw Self.invalid(field, "a number") }
        return d
    }
}
