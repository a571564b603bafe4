import ArgusCore
import HTTPTypes
import Hummingbird

/// Every error Argus answers with: `{"error": {"code": "...", "message": "..."}}`.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var body: JSON { ["error": ["code": .string(code), "message": .string(message)]] }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    // Server API v4 errors (vectors/events/errors).
    public static let secretKeyRequired = APIError(
        .forbidden, "secret_api_key_required", "secret API key in header is missing or empty")
    public static let secretKeyNotFound = APIError(
        .forbidden, "secret_api_key_not_found", "no fingerprint workspace found for specified secret API key")
    public static let eventNotFound = APIError(.notFound, "event_not_found", "event id not found")
    public static let invalidEventID = APIError(.badRequest, "request_cannot_be_parsed", "invalid event_id")
    public static func insufficientScope(_ scope: Scope) -> APIError {
        APIError(.forbidden, "insufficient_scope", "the secret API key lacks the scope \(scope.rawValue)")
    }
    public static func tooManyRequests(retryAfter: Int) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfter)
        return APIError(.tooManyRequests, "too_many_requests", "too many requests", headers: headers)
    }
    public static let internalError = APIError(.internalServerError, "failed", "internal server error")
}

/// JSON responses from `JSON` values or raw bytes.
public enum JSONResponse {
    public static func make(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        bytes(JSONWriter.bytes(value), status: status)
    }

    public static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
