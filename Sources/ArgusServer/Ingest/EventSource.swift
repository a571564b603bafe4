import ArgusCore
import ArgusStorage
import AsyncHTTPClient
import Foundation
import NIOCore

/// Where the prefetch worker resolves an event by its id.
public protocol PrefetchEventSource: Sendable {
    /// `own-store` or `upstream`.
    var kind: String { get }
    /// The v4 event document; nil when it does not exist (yet). Throws when the source cannot answer.
    func event(id: String, environmentID: String?) async throws -> [UInt8]?
}

/// Argus's own store, scoped to the ingesting key's environment.
public struct StoreEventSource: PrefetchEventSource {
    let store: any ArgusStore
    public var kind: String { "own-store" }

    public func event(id: String, environmentID: String?) async throws -> [UInt8]? {
        guard Identifiers.isEventID(id) else { return nil }
        return try await store.event(id: id, environmentID: environmentID)?.document
    }
}

public struct UpstreamError: Error, CustomStringConvertible {
    public let description: String
}

/// A Fingerprint-compatible Server API (`GET {base}/events/{id}` with `Auth-API-Key`), e.g. Fingerprint's
/// own or another Argus.
public struct UpstreamEventSource: PrefetchEventSource {
    public let baseURL: String
    let secretKey: String
    let httpClient: HTTPClient
    let timeout: TimeAmount
    static let maxBodyBytes = 2 * 1024 * 1024
    public var kind: String { "upstream" }

    public init(baseURL: String, secretKey: String, httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(5)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.secretKey = secretKey
        self.httpClient = httpClient
        self.timeout = timeout
    }

    public func event(id: String, environmentID: String?) async throws -> [UInt8]? {
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        var request = HTTPClientRequest(url: "\(baseURL)/events/\(escaped)")
        request.headers.add(name: "Auth-API-Key", value: secretKey)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await httpClient.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: Self.maxBodyBytes)
        switch response.status.code {
        case 200:
            let bytes = Array(body.readableBytesView)
            guard case .object = try? JSONParser.parse(bytes) else {
                throw UpstreamError(description: "upstream answered 200 with a body that is not a JSON object")
            }
            return bytes
        case 404:
            return nil
        default:
            let code = (try? JSONParser.parse(body.readableBytesView))?["error"]?["code"]?.stringValue ?? ""
            throw UpstreamError(description: "upstream answered \(response.status.code) \(code)")
        }
    }
}
