import ArgusCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The browser agent (`GET /agent.js`) and the demo page (`GET /demo`).
/// The agent is one small file per signal source under
/// `Resources/agent/`, joined in `manifest.txt` order when the server
/// starts; its version is a hash of the result, so caches can keep it.
struct AgentController {
    let assets: AgentAssets
    let runtime: ArgusRuntime
    /// How long after an event the demo page may read it back.
    static let demoEventWindowMs: Int64 = 10 * 60 * 1000

    func addRoutes(to router: Router<ArgusRequestContext>) {
        router.get("/agent.js") { request, _ in agentScript(request, withBody: true) }
        // The headers a GET would get, without the body (RFC 9110 §9.3.2): what `curl -I` and link checkers ask.
        router.head("/agent.js") { request, _ in agentScript(request, withBody: false) }
        router.get("/demo/events/{event_id}", use: demoEvent)
        router.get("/demo") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: assets.demoPage)))
        }
    }
}

extension AgentController {
    /// `GET /agent.js`: gzip-compressed (compressed once, when the server starts) for a client
    /// that accepts it, as every browser does; `Vary: Accept-Encoding` keeps shared caches apart.
    /// Each coding has its own strong ETag (the version, `-gz` for gzip: RFC 9110 §8.8.3), and
    /// either one revalidates (`If-None-Match`, weak comparison, §13.1.2): the script is the same.
    func agentScript(_ request: Request, withBody: Bool) -> Response {
        let gzip = Self.acceptsGzip(request.headers[.acceptEncoding])
        var headers = HTTPFields()
        headers[.contentType] = "application/javascript; charset=utf-8"
        headers[.eTag] = gzip ? "\"\(assets.version)-gz\"" : "\"\(assets.version)\""
        headers[.accessControlAllowOrigin] = "*"
        headers[.vary] = "Accept-Encoding"
        // Versioned URLs (`/agent.js?v=<version>`) never change; the bare URL is revalidated hourly.
        let versioned = request.uri.queryParameters.get("v") == assets.version
        headers[.cacheControl] = versioned ? "public, max-age=31536000, immutable" : "public, max-age=3600"
        if let tags = request.headers[.ifNoneMatch],
            Self.anyTagMatches(tags, [assets.version, "\(assets.version)-gz"])
        {
            return Response(status: .notModified, headers: headers)
        }
        if gzip { headers[.contentEncoding] = "gzip" }
        let body = gzip ? assets.scriptGzip : assets.script
        headers[.contentLength] = String(body.count)
        return Response(
            status: .ok, headers: headers, body: withBody ? .init(byteBuffer: ByteBuffer(bytes: body)) : .init())
    }

    /// Whether an `If-None-Match` value (`*`, or a list of entity tags, weak or strong) names one
    /// of `current` (opaque tags without quotes), by weak comparison.
    static func anyTagMatches(_ value: String, _ current: [String]) -> Bool {
        for item in value.split(separator: ",") {
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            guard tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") else { continue }
            if current.contains(String(tag.dropFirst().dropLast())) { return true }
        }
        return false
    }

    /// Whether an `Accept-Encoding` value (RFC 9110 §12.5.3) takes gzip: `gzip` (or `x-gzip`)
    /// with a weight above 0, or else `*` with a weight above 0.
    static func acceptsGzip(_ value: String?) -> Bool {
        guard let value else { return false }
        var gzip: Double?
        var any: Double?
        for item in value.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            if coding == "gzip" || coding == "x-gzip" {
                gzip = weight
            } else if coding == "*" {
                any = weight
            }
        }
        return (gzip ?? any ?? 0) > 0
    }

    /// `GET /demo/events/{id}?publicKey=pk_…`: the event the demo page just
    /// produced, so that it can show its signals. Only when demo events are
    /// enabled (default: when the server listens on a loopback address), for a
    /// public key of the event's environment, within ten minutes of the event.
    @Sendable func demoEvent(_ request: Request, context: ArgusRequestContext) async throws -> Response {
        guard runtime.config.demoEvents else { throw APIError(.notFound, "not_found", "demo events are disabled") }
        let id = context.parameters.get("event_id") ?? ""
        guard Identifiers.isEventID(id) else { throw APIError.invalidEventID }
        guard let publicKey = request.uri.queryParameters.get("publicKey"),
            let key = try await runtime.keyRing.publicKey(publicKey), let environmentID = key.environmentID
        else { throw APIError(.forbidden, "public_key_not_found", "unknown or revoked public key") }
        guard let event = try await runtime.store.event(id: id, environmentID: environmentID),
            runtime.clock.nowMs() - event.timestamp <= Self.demoEventWindowMs
        else { throw APIError.eventNotFound }
        var response = JSONResponse.bytes(event.document)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// The agent's files, read once from the bundle.
public struct AgentAssets: Sendable {
    public let script: [UInt8]
    /// `script` as one gzip member, for clients that accept it.
    public let scriptGzip: [UInt8]
    public let version: String
    public let demoPage: [UInt8]
    /// The OpenAPI document (`GET /openapi.yaml`), kept beside the agent in the bundle.
    public let openAPI: [UInt8]

    public static let versionPlaceholder = "__ARGUS_AGENT_VERSION__"

    public static func load() throws -> AgentAssets {
        guard let directory = Bundle.module.url(forResource: "agent", withExtension: nil),
            let openAPI = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        else {
            throw ConfigurationError("the agent's files are missing from the server's resource bundle")
        }
        return try load(directory: directory, openAPI: openAPI)
    }

    public static func load(directory: URL, openAPI: URL) throws -> AgentAssets {
        let manifest = try String(contentsOf: directory.appendingPathComponent("manifest.txt"), encoding: .utf8)
        var parts: [String] = []
        for line in manifest.split(whereSeparator: \.isNewline) {
            let path = line.trimmingCharacters(in: .whitespaces)
            if path.isEmpty || path.hasPrefix("#") { continue }
            parts.append(try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8))
        }
        let joined = parts.joined(separator: "\n")
        let version = String(SHA256.hash(data: Data(joined.utf8)).hexString.prefix(12))
        let script = joined.replacingOccurrences(of: versionPlaceholder, with: version)
        let demo = try Data(contentsOf: directory.appendingPathComponent("demo.html"))
        return AgentAssets(
            script: Array(script.utf8), scriptGzip: try RawDeflate.gzip(Array(script.utf8)), version: version,
            demoPage: Array(demo), openAPI: Array(try Data(contentsOf: openAPI)))
    }
}
