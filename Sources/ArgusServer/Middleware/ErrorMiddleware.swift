import Hummingbird
import Logging
import NIOCore

/// Turns every thrown error into the JSON error shape; unexpected errors
/// become 500 `failed` and are logged (their text is not sent to clients).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ArgusRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            return try Self.translate(error).response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError(.contentTooLarge, "body_too_large", "request body is too large")
                .response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": .string(request.uri.path)])
            return try APIError.internalError.response(from: request, context: context)
        }
    }

    static func translate(_ error: HTTPError) -> APIError {
        let code: String
        switch error.status {
        case .notFound: code = "not_found"
        case .methodNotAllowed: code = "method_not_allowed"
        case .contentTooLarge: code = "body_too_large"
        case .badRequest: code = "request_cannot_be_parsed"
        case .unauthorized: code = "unauthorized"
        case .forbidden: code = "forbidden"
        default: code = error.status.code >= 500 ? "failed" : "error"
        }
        let message = error.body ?? (error.status == .notFound ? "no such endpoint" : error.status.reasonPhrase)
        return APIError(error.status, code, message, headers: error.headers)
    }
}
