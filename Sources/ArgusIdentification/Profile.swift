import Foundation

/// What the engine remembers of one visitor: the features of its recent
/// visits, compact enough that a million fit in memory.
public struct Profile: Sendable, Equatable {
    public var visitorID: String
    public var hardware: UInt64
    public var engine: Engine
    /// The highest browser major version seen (browsers do not downgrade).
    public var browserMajor: Int32
    public var osVersion: UInt64
    public var userAgent: UInt64
    public var canvases = Recent<4, UInt64>()
    public var webgls = Recent<4, UInt64>()
    public var audios = Recent<4, Double>()
    public var fonts: [UInt32]?
    public var fontsHash: UInt64 = 0
    public var languages: [UInt32]?
    public var languagesHash: UInt64 = 0
    public var timezones = Recent<4, UInt32>()
    public var screens = Recent<4, UInt64>()
    /// The quota of ordinary (not private) visits.
    public var quota: Double?
    /// Most recent last.
    public var ips = Recent<8, UInt64>()
    public var networks = Recent<8, UInt64>()
    public var extras = Recent<4, UInt64>()
    /// Browser storages that held this visitor's token, oldest first; `attached`
    /// marks those joined by fingerprint rather than created with the visitor.
    public var instances: [Instance] = []
    /// Storages proven to belong to another browser (see `IdentificationEngine`).
    public var evicted: [UInt64] = []
    /// Created when the fingerprint pointed at these visitors without a clear
    /// winner: if one of them stays silent and this visitor's later visits
    /// settle the doubt (its address, say), the two are joined.
    public var provisional: [String] = []
    /// When created on a close call: the probability that it was its best rival.
    public var closeCall: Double = 0
    /// Joined into that visitor: its tokens now lead there.
    public var mergedInto: String?
    /// The agent said cookies are off.
    public var cookiesDisabled = false
    /// The look of the last ordinary (not private) visit; for a visitor met only in private
    /// browsing, of its last private visit (0 in WebKit, whose private mode randomises the
    /// renderings, and in profiles stored before 2026-11-23).
    public var look: UInt64 = 0
    /// The page of the last visit (`Observation.page`): a browser navigating on from it
    /// names it as its referrer.
    public var lastPage: UInt64 = 0
    /// The last change of address this browser was known by its token to make, when it
    /// does not roam (`Observation.roams`): where its household may have moved.
    public var move: AddressMove?
    public var firstSeenAt: Int64
    public var lastSeenAt: Int64
    public var eventCount: Int64
    /// Created by a private visit that matched nobody: honoured through its
    /// token, never offered as a fuzzy candidate (private storage dies with
    /// the session, so nothing can come back to it without its token).
    public var ephemeral: Bool

    /// Offered to fuzzy matching: neither ephemeral nor joined into another visitor.
    public var isCandidate: Bool { !ephemeral && mergedInto == nil }

    public struct AddressMove: Sendable, Equatable {
        public var from: UInt64
        public var to: UInt64
        public var at: Int64
        public init(from: UInt64, to: UInt64, at: Int64) {
            self.from = from
            self.to = to
            self.at = at
        }
    }

    public struct Instance: Sendable, Equatable {
        public var id: UInt64
        public var attached: Bool
        public var privateVisit: Bool
    }

    static let recentInstances = 6
    static let recentEvictions = 8

    /// A visit presented this instance's token. Instances attached after it
    /// by fingerprint belong to other browsers: both are alive at once.
    /// Returns how many instances it evicted.
    @discardableResult
    public mutating func sawInstance(_ id: UInt64, privateVisit: Bool) -> Int {
        guard let i = instances.firstIndex(where: { $0.id == id }) else {
            instances.append(Instance(id: id, attached: false, privateVisit: privateVisit))
            if instances.count > Self.recentInstances { instances.removeFirst(instances.count - Self.recentInstances) }
            return 0
        }
        let later = instances[(i + 1)...].filter { $0.attached && !$0.privateVisit }
        guard !later.isEmpty else { return 0 }
        for other in later { Self.remember(other.id, in: &evicted, keep: Self.recentEvictions) }
        instances.removeAll { other in later.contains { $0.id == other.id } }
        return later.count
    }

    /// A browser without token was matched to this visitor by fingerprint.
    public mutating func attachInstance(_ id: UInt64, privateVisit: Bool) {
        instances.removeAll { $0.id == id }
        instances.append(Instance(id: id, attached: true, privateVisit: privateVisit))
        if instances.count > Self.recentInstances { instances.removeFirst(instances.count - Self.recentInstances) }
    }


    public init(visitorID: String, observation o: Observation, at time: Int64) {
        self.visitorID = visitorID
        hardware = o.hardware
        engine = o.engine
        browserMajor = o.browserMajor
        osVersion = o.osVersion
        userAgent = o.userAgent
        firstSeenAt = time
        lastSeenAt = time
        eventCount = 0
        ephemeral = o.looksPrivate
        absorb(o, at: time)
    }

    /// Folds a visit of this visitor into the profile.
    public mutating func absorb(_ o: Observation, at time: Int64) {
        eventCount += 1
        lastSeenAt = max(lastSeenAt, time)
        browserMajor = max(browserMajor, o.browserMajor)
        osVersion = o.osVersion
        userAgent = o.userAgent
        ips.remember(o.ip)
        networks.remember(o.network)
        if o.page != 0 { lastPage = o.page }
        if let t = o.timezone { timezones.remember(t) }
        if let s = o.screen { screens.remember(s) }
        // A private visit adds noise (WebKit randomises canvas and audio there) and a
        // memory-backed quota: it refreshes places, not the device's renderings.
        let isPrivate = o.looksPrivate && !(quota.map { $0 < Observation.privateQuotaCeiling } ?? false)
        if isPrivate && engine == .webkit { return }
        if !isPrivate || ephemeral { look = o.look }  // a private visit's look, outside WebKit, is the browser's own
        cookiesDisabled = o.cookiesDisabled
        if let c = o.canvas { canvases.remember(c) }
        if let w = o.webgl { webgls.remember(w) }
        if let a = o.audio {
            audios.removeAll { abs($0 - a) <= Similarity.audioTolerance }
            audios.remember(a)
        }
        if let e = o.extras { extras.remember(e) }
        if let f = o.fonts {
            fonts = f
            fontsHash = o.fontsHash
        }
        if let l = o.languages {
            languages = l
            languagesHash = o.languagesHash
        }
        if !isPrivate, let q = o.quota {
            quota = q
            ephemeral = false
        }
    }

    static func remember<T: Equatable>(_ value: T, in list: inout [T], keep: Int) {
        list.removeAll { $0 == value }
        list.append(value)
        if list.count > keep { list.removeFirst(list.count - keep) }
    }
}

// MARK: - binary form (stored with the visitor; read back at start)

extension Profile {
    /// 6 added `lastPage` and `closeCall`, 7 `move` (each at the end); versions 5 and 6 still read.
    static let formatVersion: UInt8 = 7

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.u8(Self.formatVersion)
        w.string(visitorID)
        w.u64(hardware)
        w.u8(engine.rawValue)
        w.i64(Int64(browserMajor))
        w.u64(osVersion)
        w.u64(userAgent)
        w.u64s(Array(canvases))
        w.u64s(Array(webgls))
        w.doubles(Array(audios))
        w.optionalU32s(fonts)
        w.optionalU32s(languages)
        w.u32s(Array(timezones))
        w.u64s(Array(screens))
        w.optionalDouble(quota)
        w.u64s(Array(ips))
        w.u64s(Array(networks))
        w.u64s(Array(extras))
        w.u64(look)
        w.u8(cookiesDisabled ? 1 : 0)
        w.count(instances.count)
        for i in instances {
            w.u64(i.id)
            w.u8((i.attached ? 1 : 0) | (i.privateVisit ? 2 : 0))
        }
        w.u64s(evicted)
        w.count(provisional.count)
        provisional.forEach { w.string($0) }
        w.string(mergedInto ?? "")
        w.i64(firstSeenAt)
        w.i64(lastSeenAt)
        w.i64(eventCount)
        w.u8(ephemeral ? 1 : 0)
        w.u64(lastPage)
        w.double(closeCall)
        w.u8(move == nil ? 0 : 1)
        if let move {
            w.u64(move.from)
            w.u64(move.to)
            w.i64(move.at)
        }
        return w.bytes
    }

    public init?(encoded bytes: [UInt8]) {
        var r = ByteReader(bytes)
        guard let version = r.u8(), (5...Self.formatVersion).contains(version), let id = r.string(), let hw = r.u64(), let eng = r.u8().flatMap(Engine.init),
            let major = r.i64(), let os = r.u64(), let ua = r.u64(), let canvases = r.u64s(), let webgls = r.u64s(),
            let audios = r.doubles(), let fonts = r.optionalU32s(), let languages = r.optionalU32s(),
            let timezones = r.u32s(), let screens = r.u64s(), let quota = r.optionalDouble(), let ips = r.u64s(),
            let networks = r.u64s(), let extras = r.u64s(), let look = r.u64(), let cookies = r.u8(),
            let instances = r.list({ r -> Instance? in
                guard let id = r.u64(), let flags = r.u8() else { return nil }
                return Instance(id: id, attached: flags & 1 != 0, privateVisit: flags & 2 != 0)
            }), let evicted = r.u64s(), let provisional = r.list({ $0.string() }), let merged = r.string(),
            let first = r.i64(), let last = r.i64(), let count = r.i64(),
            let ephemeral = r.u8(), let lastPage = version == 5 ? 0 : r.u64(),
            let closeCall = version == 5 ? 0.5 : r.double(), let move = version < 7 ? .some(nil) : r.move(), r.isAtEnd
        else { return nil }
        self.move = move
        self.lastPage = lastPage
        self.closeCall = closeCall
        self.visitorID = id
        self.hardware = hw
        self.engine = eng
        self.browserMajor = Int32(truncatingIfNeeded: major)
        self.osVersion = os
        self.userAgent = ua
        self.canvases = Recent(canvases)
        self.webgls = Recent(webgls)
        self.audios = Recent(audios)
        self.fonts = fonts
        self.fontsHash = fonts.map(Observation.listHash) ?? 0
        self.languages = languages
        self.languagesHash = languages.map(Observation.listHash) ?? 0
        self.timezones = Recent(timezones)
        self.screens = Recent(screens)
        self.quota = quota
        self.ips = Recent(ips)
        self.networks = Recent(networks)
        self.extras = Recent(extras)
        self.look = look
        self.cookiesDisabled = cookies == 1
        self.instances = instances
        self.evicted = evicted
        self.provisional = provisional
        self.mergedInto = merged.isEmpty ? nil : merged
        self.firstSeenAt = first
        self.lastSeenAt = last
        self.eventCount = count
        self.ephemeral = ephemeral == 1
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func double(_ v: Double) { u64(v.bitPattern) }
    mutating func count(_ n: Int) { u32(UInt32(n)) }
    mutating func string(_ s: String) {
        count(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }
    mutating func u64s(_ a: [UInt64]) {
        count(a.count)
        a.forEach { u64($0) }
    }
    mutating func u32s(_ a: [UInt32]) {
        count(a.count)
        a.forEach { u32($0) }
    }
    mutating func doubles(_ a: [Double]) {
        count(a.count)
        a.forEach { double($0) }
    }
    mutating func optionalU32s(_ a: [UInt32]?) {
        u8(a == nil ? 0 : 1)
        if let a { u32s(a) }
    }
    mutating func optionalDouble(_ d: Double?) {
        u8(d == nil ? 0 : 1)
        if let d { double(d) }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isAtEnd: Bool { index == bytes.count }

    mutating func u8() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }
    mutating func fixed(_ n: Int) -> UInt64? {
        guard index + n <= bytes.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[index + i]) << (8 * UInt64(i)) }
        index += n
        return v
    }
    mutating func u32() -> UInt32? { fixed(4).map { UInt32($0) } }
    mutating func u64() -> UInt64? { fixed(8) }
    mutating func i64() -> Int64? { fixed(8).map { Int64(bitPattern: $0) } }
    mutating func double() -> Double? { fixed(8).map { Double(bitPattern: $0) } }
    mutating func count() -> Int? {
        guard let n = u32(), Int(n) <= bytes.count - index else { return nil }
        return Int(n)
    }
    mutating func string() -> String? {
        guard let n = count(), index + n <= bytes.count else { return nil }
        defer { index += n }
        return String(decoding: bytes[index..<(index + n)], as: UTF8.self)
    }
    mutating func list<T>(_ read: (inout ByteReader) -> T?) -> [T]? {
        guard let n = count() else { return nil }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            guard let v = read(&self) else { return nil }
            out.append(v)
        }
        return out
    }
    mutating func u64s() -> [UInt64]? { list { $0.u64() } }
    mutating func u32s() -> [UInt32]? { list { $0.u32() } }
    mutating func doubles() -> [Double]? { list { $0.double() } }
    mutating func optionalU32s() -> [UInt32]?? {
        guard let flag = u8() else { return nil }
        if flag == 0 { return .some(nil) }
        guard let a = u32s() else { return nil }
        return .some(a)
    }
    mutating func move() -> Profile.AddressMove?? {
        guard let flag = u8() else { return nil }
        if flag == 0 { return .some(nil) }
        guard let from = u64(), let to = u64(), let at = i64() else { return nil }
        return .some(Profile.AddressMove(from: from, to: to, at: at))
    }
    mutating func optionalDouble() -> Double?? {
        guard let flag = u8() else { return nil }
        if flag == 0 { return .some(nil) }
        guard let d = double() else { return nil }
        return .some(d)
    }
}

extension Profile {
    /// Past this, a visitor's silence says nothing more.
    public static let silenceCap = 12.0

    /// How unlikely this visitor's silence up to `now` is if it still visits as it did:
    /// minus the log-probability that none of its visits after the first fell in the silence when
    /// they are spread evenly over its lifetime so far, −(visits − 1) · log(1 − silence / lifetime).
    /// 0 for a visitor seen once (no habit to go by), large for a regular visitor away for many of
    /// its usual gaps. A ratio of two durations on the server's clock: it needs no notion of days,
    /// and reads the same whether the visits come over months or back to back.
    public func silence(at now: Int64) -> Double {
        let lifetime = Double(now - firstSeenAt)
        let quiet = Double(now - lastSeenAt)
        guard eventCount > 1, lifetime > 0, quiet > 0 else { return 0 }
        let left = 1 - quiet / lifetime
        guard left > 0 else { return Self.silenceCap }
        return min(Self.silenceCap, -Double(eventCount - 1) * log(left))
    }
}
