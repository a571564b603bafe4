import ArgusCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One webhook POST, ready to send.
public struct WebhookRequest: Sendable {
    public var url: String
    public var body: [UInt8]
    public var headers: [(String, String)]
}

/// What came back: a status code, or an error when no response came.
public struct WebhookResponse: Sendable, Equatable {
    public var statusCode: Int?
    public var error: String?

    public var isSuccess: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// Sends webhook requests (HTTP in production; tests may record instead).
public protocol WebhookSender: Sendable {
    func send(_ request: WebhookRequest) async -> WebhookResponse
    func shutdown() async
}

/// POSTs with AsyncHTTPClient. Redirects are never followed (a 3xx is a
/// failed attempt). Unless private targets are allowed, the host's resolved
/// addresses are checked against `OutboundAddressPolicy`, and the request —
/// plain HTTP or HTTPS — connects to the checked address itself: a client
/// whose only DNS answer for that host is that address (`dnsOverride`), so no
/// second lookup can answer differently (DNS rebinding), while the Host
/// header, TLS's server name and the certificate check keep the host name.
public final class HTTPWebhookSender: WebhookSender {
    /// Resolves a host name to addresses (the system resolver; tests inject their own).
    public typealias Resolver = @Sendable (String) async throws -> [String]

    let client: HTTPClient
    let configuration: HTTPClient.Configuration
    let allowPrivate: Bool
    let timeout: TimeAmount
    let resolver: Resolver
    let policy: @Sendable (String) -> OutboundAddressPolicy.Verdict
    /// Clients pinned to one checked address of one host, most recently used last.
    let pinned = Mutex<[(key: String, client: HTTPClient)]>([])
    static let pinnedLimit = 64
    /// At most this much of a response body is read (and dropped).
    static let maxResponseBytes = 64 * 1024

    public init(
        allowPrivate: Bool, timeoutMs: Int64, maxConnectionsPerHost: Int = 16, tlsConfiguration: TLSConfiguration? = nil,
        resolver: @escaping Resolver = HTTPWebhookSender.resolve,
        policy: @escaping @Sendable (String) -> OutboundAddressPolicy.Verdict = OutboundAddressPolicy.classify
    ) {
        var config = HTTPClient.Configuration(
            tlsConfiguration: tlsConfiguration, redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(min(timeoutMs, 5_000)), read: .milliseconds(timeoutMs)))
        config.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnectionsPerHost)
        config.decompression = .disabled
        configuration = config
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.allowPrivate = allowPrivate
        self.timeout = .milliseconds(timeoutMs)
        self.resolver = resolver
        self.policy = policy
    }

    public func shutdown() async {
        try? await client.shutdown()
        let clients = pinned.withLock { p -> [HTTPClient] in
            defer { p.removeAll() }
            return p.map(\.client)
        }
        for c in clients { try? await c.shutdown() }
    }

    public func send(_ r: WebhookRequest) async -> WebhookResponse {
        guard let components = URLComponents(string: r.url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return WebhookResponse(statusCode: nil, error: "invalid URL") }
        var client = self.client
        if !allowPrivate {
            let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            let addresses: [String]
            do {
                if let literal = IPAddress.canonical(bareHost) {
                    addresses = [literal]
                } else {
                    addresses = try await resolver(bareHost)
                }
            } catch {
                return WebhookResponse(statusCode: nil, error: "cannot resolve \(bareHost): \(error)")
            }
            if addresses.isEmpty { return WebhookResponse(statusCode: nil, error: "cannot resolve \(bareHost)") }
            for address in addresses {
                if case .forbidden(let why) = policy(address) {
                    return WebhookResponse(
                        statusCode: nil,
                        error: "refused: \(bareHost) resolves to \(address) (\(why)); set ARGUS_WEBHOOK_ALLOW_PRIVATE=1 to allow")
                }
            }
            if IPAddress.bytes(bareHost) == nil {
                // Connect to the address just checked, so a second lookup cannot answer differently.
                client = pinnedClient(host: bareHost, address: addresses[0])
            }
        }
        var request = HTTPClientRequest(url: r.url)
        request.method = .POST
        request.headers = HTTPHeaders(r.headers)
        request.body = .bytes(ByteBuffer(bytes: r.body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: Self.maxResponseBytes)
            let code = Int(response.status.code)
            if (300..<400).contains(code) {
                return WebhookResponse(statusCode: code, error: "redirects are not followed")
            }
            return WebhookResponse(statusCode: code, error: (200..<300).contains(code) ? nil : "HTTP \(code)")
        } catch {
            return WebhookResponse(statusCode: nil, error: Self.describe(error))
        }
    }

    /// A client that reaches `host` at `address` only (kept for the next attempts; the least
    /// recently used of more than `pinnedLimit` is shut down once its requests can have ended).
    func pinnedClient(host: String, address: String) -> HTTPClient {
        let key = host.lowercased() + " " + address
        let (client, evicted) = pinned.withLock { p -> (HTTPClient, HTTPClient?) in
            if let i = p.firstIndex(where: { $0.key == key }) {
                let entry = p.remove(at: i)
                p.append(entry)
                return (entry.client, nil)
            }
            var config = configuration
            config.dnsOverride = [host: address]
            let c = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
            p.append((key, c))
            return (c, p.count > Self.pinnedLimit ? p.removeFirst().client : nil)
        }
        if let evicted {
            let grace = timeout + .seconds(5)
            Task {
                try? await Task.sleep(nanoseconds: UInt64(grace.nanoseconds))
                try? await evicted.shutdown()
            }
        }
        return client
    }

    /// How many pinned clients are kept (tests).
    var pinnedCount: Int { pinned.withLock { $0.count } }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    /// The host's addresses (an address literal is its own answer); the lookup runs off the cooperative pool.
    @Sendable public static func resolve(_ host: String) async throws -> [String] {
        if let canonical = IPAddress.canonical(host) { return [canonical] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #else
            hints.ai_socktype = SOCK_STREAM
            #endif
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            guard status == 0 else { throw ResolveError(message: String(cString: gai_strerror(status))) }
            defer { freeaddrinfo(result) }
            var out: [String] = []
            var cursor = result
            while let info = cursor {
                if let address = info.pointee.ai_addr {
                    var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(address, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                        // Strip an IPv6 zone ("fe80::1%eth0") before judging.
                        let bare = text.split(separator: "%").first.map(String.init) ?? text
                        if !out.contains(bare) { out.append(bare) }
                    }
                }
                cursor = info.pointee.ai_next
            }
            return out
        }
    }

    struct ResolveError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
