import Foundation
import ArgusCore

/// The rendering engine, from the user agent: drift and private-mode
/// behaviour differ between engines.
public enum Engine: UInt8, Sendable {
    case other = 0, blink, gecko, webkit
}

/// What one visit shows, reduced to the features the engine compares.
/// Built from the agent's components and the client IP; no I/O.
public struct Observation: Sendable, Equatable {
    /// Attributes a browser keeps for its life: platform, vendor, GPU,
    /// cores, memory, touch points, color depth, browser family, OS family.
    public var hardware: UInt64
    public var engine: Engine
    public var browserMajor: Int32
    public var osVersion: UInt64
    public var userAgent: UInt64
    public var canvas: UInt64?
    public var webgl: UInt64?
    public var audio: Double?
    /// Sorted hashes of the installed fonts; nil when not collected.
    public var fonts: [UInt32]?
    public var fontsHash: UInt64
    /// Hashes of the preferred languages, in order.
    public var languages: [UInt32]?
    public var languagesHash: UInt64
    public var timezone: UInt32?
    public var screen: UInt64?
    public var quota: Double?
    public var ip: UInt64
    /// The /22 (IPv4) or /64 (IPv6) around `ip`.
    public var network: UInt64
    /// A hash of further agent components that change only with software updates.
    public var extras: UInt64?
    /// The whole look of the browser, address aside: equal looks are indistinguishable twins.
    public var look: UInt64
    /// The agent says cookies are off: such a browser never keeps a token.
    public var cookiesDisabled: Bool
    /// A phone or tablet OS (iOS, Android): such a browser hops between home Wi-Fi and its
    /// carrier, so its change of address says nothing about where a household went.
    public var roams = false
    /// Addresses a household moved away from to `ip` (`VisitorIndex.formerAddresses`), set by
    /// the engine before comparing: a visitor seen there counts as seen at a recent address.
    public var formerAddresses: [UInt64] = []
    /// The page this visit was made on (`Page.key`); 0 when unknown.
    public var page: UInt64 = 0
    /// The page of the same site the browser navigated from (its referrer); 0 when it
    /// came from elsewhere (a search engine, a link in a mail, a bookmark).
    public var cameFrom: UInt64 = 0

    /// Quotas this small come from private (incognito) modes, whose storage lives in memory.
    public static let privateQuotaCeiling = 2.0 * 1024 * 1024 * 1024

    /// Chromium's Cache Storage charged bytes, not disk blocks: an in-memory (incognito) profile
    /// whatever quota it reports (Chromium 138+ reports the same in both modes).
    public var inMemoryCacheStorage = false

    public var looksPrivate: Bool { inMemoryCacheStorage || (quota ?? .infinity) < Self.privateQuotaCeiling }

    /// `url` and `referrer` are the page and `document.referrer` the agent reports.
    public init(components c: Components, clientIP: String, url: String? = nil, referrer: String? = nil) {
        let ua = c.userAgent ?? ""
        let details = BrowserDetails.parse(userAgent: ua)
        engine = Self.engine(ua: ua, browser: details.browserName, os: details.os)
        browserMajor = Int32(details.browserMajorVersion) ?? 0
        roams = details.os == "iOS" || details.os == "Android"

        var hw = StableHasher()
        hw.combine(c.platform ?? "?")
        hw.combine(c.vendor ?? "?")
        hw.combine(c.webglVendor ?? "?")
        hw.combine(c.webglRenderer ?? "?")
        hw.combine(c.hardwareConcurrency ?? -1)
        hw.combine(c.deviceMemory ?? -1)
        hw.combine(c.maxTouchPoints ?? -1)
        hw.combine(c.screen?["colorDepth"]?.intValue ?? -1)
        hw.combine(Self.browserFamily(details.browserName))
        hw.combine(details.os)
        hardware = hw.value

        osVersion = StableHasher.hash(details.osVersion)
        userAgent = StableHasher.hash(ua)
        canvas = c.canvas.map(StableHasher.hash)
        webgl = c["webglHash"]?.stringValue.map(StableHasher.hash)
        audio = c.audio
        fonts = c.fonts.map { Array(Set($0.map { UInt32(truncatingIfNeeded: StableHasher.hash($0)) })).sorted() }
        languages = c.languages.map { $0.map { UInt32(truncatingIfNeeded: StableHasher.hash($0.lowercased())) } }
        fontsHash = fonts.map(Self.listHash) ?? 0
        languagesHash = languages.map(Self.listHash) ?? 0
        timezone = c.timezone.map { UInt32(truncatingIfNeeded: StableHasher.hash($0)) }
        if let s = c.screen {
            var h = StableHasher()
            h.combine(s["width"]?.intValue ?? -1)
            h.combine(s["height"]?.intValue ?? -1)
            h.combine(s["pixelRatio"]?.doubleValue ?? -1)
            screen = h.value
        }
        quota = c.storageQuota
        inMemoryCacheStorage = engine == .blink && c.cacheUsageCountsBytes
        ip = StableHasher.hash(clientIP)
        network = StableHasher.hash(Self.networkPrefix(clientIP))
        extras = Self.extrasHash(c)
        cookiesDisabled = c.cookiesEnabled == false
        if let here = url.flatMap(Page.init) {
            page = here.key
            if let from = referrer.flatMap(Page.init), from.host == here.host { cameFrom = from.key }
        }
        var l = StableHasher()
        l.combine(Int64(bitPattern: hardware))
        l.combine(Int64(bitPattern: userAgent))
        l.combine(Int64(bitPattern: canvas ?? 0))
        l.combine(Int64(bitPattern: webgl ?? 0))
        l.combine(audio ?? 0)
        for f in fonts ?? [] { l.combine(Int64(f)) }
        l.combine([0xFE])
        for x in languages ?? [] { l.combine(Int64(x)) }
        l.combine(Int64(timezone ?? 0))
        l.combine(Int64(bitPattern: screen ?? 0))
        l.combine(Int64(bitPattern: extras ?? 0))
        look = l.value
    }

    /// Equal lists, equal hashes (compared before the lists themselves).
    static func listHash(_ list: [UInt32]) -> UInt64 {
        var h = StableHasher()
        for x in list { h.combine(Int64(x)) }
        h.combine(Int64(list.count))
        return h.value
    }

    /// Components of the full agent that stay put between software updates.
    static let extraKeys = ["math", "webglParams", "webglExtensions", "plugins", "mimeTypes", "uaData"]

    static func extrasHash(_ c: Components) -> UInt64? {
        var h = StableHasher()
        var any = false
        for key in extraKeys {
            guard let v = c[key] else { continue }
            any = true
            h.combine(key)
            h.combine(JSONWriter.bytes(v))
        }
        return any ? h.value : nil
    }

    static func browserFamily(_ name: String) -> String {
        switch name {
        case "Chrome", "Chrome Mobile": return "Chrome"
        case "Safari", "Mobile Safari": return "Safari"
        default: return name
        }
    }

    static func engine(ua: String, browser: String, os: String) -> Engine {
        if os == "iOS" { return .webkit }  // every iOS browser runs WebKit
        if browser.hasPrefix("Firefox") { return .gecko }
        if browser.hasSuffix("Safari") { return .webkit }
        if ua.contains("Chrome/") || ua.contains("Chromium/") { return .blink }
        return .other
    }

    /// "/22" of IPv4 (a carrier NAT pool or an ISP's block), "/64" of IPv6 (a household's prefix: devices rotate the rest daily).
    static func networkPrefix(_ ip: String) -> String {
        if ip.contains(":") {
            let expanded = expandIPv6(ip)
            return expanded.split(separator: ":").prefix(4).joined(separator: ":") + "::/64"
        }
        let parts = ip.split(separator: ".")
        guard parts.count == 4, let third = Int(parts[2]) else { return ip }
        return "\(parts[0]).\(parts[1]).\(third & 0xFC).0/22"
    }

    static func expandIPv6(_ ip: String) -> String {
        let halves = ip.components(separatedBy: "::")
        let head = halves[0].split(separator: ":").map(String.init)
        let tail = halves.count > 1 ? halves[1].split(separator: ":").map(String.init) : []
        let missing = max(0, 8 - head.count - tail.count)
        return (head + Array(repeating: "0", count: halves.count > 1 ? missing : 0) + tail).joined(separator: ":")
    }
}

/// A page of a site, as the agent reports it (`location.href`, `document.referrer`):
/// the host and a hash of host, path and query. The fragment never reaches a server
/// and the scheme does not name another page.
struct Page {
    var host: String
    var key: UInt64

    init?(_ url: String) {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...].prefix { $0 != "#" }
        let hostEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let host = rest[..<hostEnd]
        guard !host.isEmpty else { return nil }
        let path = rest[hostEnd...]
        self.host = host.lowercased()
        var h = StableHasher()
        h.combine(self.host)
        h.combine(path.isEmpty ? "/" : String(path))
        key = h.value
    }
}
