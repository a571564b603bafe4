import ArgusCore

/// Everything the detectors judge: the agent's components and facts the
/// server established itself (IP data, velocity, DNS verification, the
/// identification result). Nothing here is the client's claim of a verdict.
public struct SignalContext: Sendable {
    public var components: Components
    /// The user agent the agent read (or the request header when absent).
    public let userAgent: String
    /// The operating system the user agent names: ios, android, windows, macos, chromeos, linux or other.
    public let uaOS: String
    /// The browser engine the user agent names: chromium, gecko, webkit or other.
    public let uaEngine: String
    /// Facts about the client IP; nil when no IP data is configured.
    public var ip: IPFacts?
    /// Time zone → countries (tzdata); empty when not loaded.
    public var zoneCountries: [String: [String]]
    /// A valid token named a visitor whose device does not fit (identification).
    public var tokenMismatch: Bool
    public var velocity: VelocityCounts?
    /// Result of reverse-then-forward DNS for a user agent that claims to be a crawler.
    public var crawlerVerification: CrawlerVerification?
    /// How many known visitors share this device's look, out of how many.
    public var lookPopulation: (same: Int, total: Int)?

    public init(
        components: Components, userAgent: String, ip: IPFacts? = nil, zoneCountries: [String: [String]] = [:],
        tokenMismatch: Bool = false, velocity: VelocityCounts? = nil, crawlerVerification: CrawlerVerification? = nil,
        lookPopulation: (same: Int, total: Int)? = nil
    ) {
        self.components = components
        self.userAgent = userAgent
        self.uaOS = Self.os(of: userAgent)
        self.uaEngine = Self.engine(of: userAgent)
        self.ip = ip
        self.zoneCountries = zoneCountries
        self.tokenMismatch = tokenMismatch
        self.velocity = velocity
        self.crawlerVerification = crawlerVerification
        self.lookPopulation = lookPopulation
    }

    // MARK: helpers shared by detectors

    public var automation: JSONObject? { components["automation"]?.objectValue }
    public var uaData: JSONObject? { components["uaData"]?.objectValue }

    static func os(of ua: String) -> String {
        if ua.has("iPhone") || ua.has("iPad") || ua.has("iPod") { return "ios" }
        if ua.has("Android") { return "android" }
        if ua.has("Windows") { return "windows" }
        if ua.has("Mac OS X") || ua.has("Macintosh") { return "macos" }
        if ua.has("CrOS") { return "chromeos" }
        if ua.has("Linux") || ua.has("X11") { return "linux" }
        return "other"
    }

    static func engine(of ua: String) -> String {
        if ua.has("Firefox/") && !ua.has("Seamonkey") { return ua.has("FxiOS") ? "webkit" : "gecko" }
        if ua.has("CriOS") || ua.has("EdgiOS") { return "webkit" }
        if ua.has("Chrome/") || ua.has("Chromium/") || ua.has("HeadlessChrome") { return "chromium" }
        if ua.has("AppleWebKit") && ua.has("Safari") { return "webkit" }
        return "other"
    }

    public var isMobileUA: Bool { uaOS == "ios" || uaOS == "android" }
}

/// How a crawler's claim was checked (spec: good bots are verified, not believed).
public enum CrawlerVerification: Sendable, Equatable {
    /// The address resolves to a host of the crawler's operator, which resolves back to the address.
    case verified(name: String)
    /// The user agent claims a crawler that the address does not belong to.
    case failed(name: String)
}

/// What one detector saw.
public struct Finding: Sendable, Equatable {
    public enum Signal: String, Sendable, CaseIterable {
        case badBot, goodBot, incognito, developerTools, virtualMachine, privacySettings, tampering, antiDetectBrowser
        case vpn, proxy, tor, datacenter, highActivity, velocity, rareDevice, copiedToken
    }

    public var signal: Signal
    /// The risk flag (spec §6), snake_case.
    public var flag: String
    /// Strength of the evidence, 0–1 (combined as independent evidence).
    public var strength: Double
    /// For bots: the v4 `bot_type`; for VPN: the `vpn_methods` key; otherwise a detail.
    public var detail: String?

    public init(_ signal: Signal, flag: String, strength: Double = 1, detail: String? = nil) {
        self.signal = signal
        self.flag = flag
        self.strength = strength
        self.detail = detail
    }
}

/// A detector: a small pure function of the context (BotD's split: the agent
/// collects, these judge).
public struct Detector: Sendable {
    public let name: String
    public let run: @Sendable (SignalContext) -> [Finding]

    public init(_ name: String, _ run: @escaping @Sendable (SignalContext) -> [Finding]) {
        self.name = name
        self.run = run
    }
}
