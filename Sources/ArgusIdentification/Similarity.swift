/// How strongly a visit's features speak for one known visitor against
/// another browser of the same hardware: a sum of log-likelihood ratios
/// (natural log). Positive: evidence for the same browser.
public struct Weights: Sendable, Equatable {
    // Network: the strongest tie between twins.
    public var sameLastIP = 3.0
    public var recentIP = 2.0
    public var sameNetwork = 1.0
    // Renderings: equal outputs are expected; a change is plausible after an update.
    public var canvasSame = 1.0
    public var canvasChangedAfterUpdate = -0.4
    public var canvasChanged = -1.6
    public var webglSame = 0.3
    public var webglChanged = -0.6
    public var audioSame = 0.5
    public var audioChangedAfterUpdate = -0.3
    public var audioChanged = -1.2
    public var extrasSame = 0.5
    public var extrasChanged = -0.5
    // Installed software and settings.
    public var fontsSame = 1.0
    public var fontsAdded = -0.8
    public var fontsOther = -6.0
    public var languagesSame = 0.3
    public var languagesAdded = -1.0
    public var languagesOther = -8.0
    // Places and screens.
    public var timezoneSeen = 0.3
    public var timezoneNew = -1.5
    public var screenSeen = 0.3
    public var screenNew = -2.5
    /// A new screen on a known address: docking at home or at the office.
    public var screenNewSameAddress = -0.3
    public var quotaSame = 0.5
    public var quotaOther = -5.0
    public var userAgentSame = 0.3
    /// Cookies switched on or off: a settings change, rare.
    public var cookiesChanged = -4.0
    public var browserDowngrade = -6.0
    // Navigation: the browser came from another page of the site (its referrer).
    /// From the very page of the visitor's last visit.
    public var cameFromLastPage = 2.0
    /// From another page: the visitor's last page was not this browser's (or the site
    /// identifies only on some pages), so it counts only a little against.
    public var cameFromOtherPage = -0.5
    public init() {}

    /// Sets a weight by name (tuning tools); false for an unknown name.
    public mutating func set(_ name: String, _ value: Double) -> Bool {
        guard let path = Self.paths[name] else { return false }
        self[keyPath: path] = value
        return true
    }

    static var paths: [String: WritableKeyPath<Weights, Double>] { [
        "sameLastIP": \.sameLastIP, "recentIP": \.recentIP, "sameNetwork": \.sameNetwork,
        "canvasSame": \.canvasSame, "canvasChangedAfterUpdate": \.canvasChangedAfterUpdate,
        "canvasChanged": \.canvasChanged, "webglSame": \.webglSame, "webglChanged": \.webglChanged,
        "audioSame": \.audioSame, "audioChangedAfterUpdate": \.audioChangedAfterUpdate, "audioChanged": \.audioChanged,
        "extrasSame": \.extrasSame, "extrasChanged": \.extrasChanged, "fontsSame": \.fontsSame,
        "fontsAdded": \.fontsAdded, "fontsOther": \.fontsOther, "languagesSame": \.languagesSame,
        "languagesAdded": \.languagesAdded, "languagesOther": \.languagesOther, "timezoneSeen": \.timezoneSeen,
        "timezoneNew": \.timezoneNew, "screenSeen": \.screenSeen, "screenNew": \.screenNew, "screenNewSameAddress": \.screenNewSameAddress, "quotaSame": \.quotaSame,
        "quotaOther": \.quotaOther, "userAgentSame": \.userAgentSame, "cookiesChanged": \.cookiesChanged, "browserDowngrade": \.browserDowngrade,
        "cameFromLastPage": \.cameFromLastPage, "cameFromOtherPage": \.cameFromOtherPage,
    ] }
}

public enum Similarity {
    static let audioTolerance = 1e-9
    /// Two quotas within this ratio are the same disk.
    static let quotaTolerance = 0.02

    /// nil: the visit cannot come from this visitor (different hardware).
    public static func score(_ o: Observation, _ p: Profile, _ w: Weights) -> Double? {
        evaluate(o, p, w)?.score
    }

    /// The comparison of a visit with one visitor, term by term.
    public struct Match: Sendable {
        public var score: Double
        /// 3: the visitor's last address; 2: a recent one; 1: a recent network; 0: none.
        public var address: Int
        /// The sum of the negative (drift) terms.
        public var drift: Double
        /// 1: the browser came from the visitor's last page; -1: from another page of the
        /// site (to another page than the visitor's last); 0: from outside the site, a reload of
        /// the visitor's last page, or that page is unknown.
        public var navigation: Int = 0
    }

    public static func evaluate(_ o: Observation, _ profile: Profile, _ w: Weights) -> Match? {
        withUnsafePointer(to: profile) { evaluate(o, $0, w) }
    }

    /// Reads the profile in place (a copy of a profile costs a dozen reference counts).
    static func evaluate(_ o: Observation, _ pointer: UnsafePointer<Profile>, _ w: Weights) -> Match? {
        let p = UnsafeProfile(pointer)
        guard o.hardware == p.hardware else { return nil }
        var s = 0.0
        var drift = 0.0
        var address = 0
        if p.ips.last == o.ip {
            address = 3
        } else if p.ips.contains(o.ip) {
            address = 2
        } else if o.formerAddresses.contains(where: { p.ips.contains($0) }) {
            address = 2  // the household's previous address: it moved here
        } else if p.networks.contains(o.network) {
            address = 1
        }
        s += [0, w.sameNetwork, w.recentIP, w.sameLastIP][address]
        func add(_ v: Double) {
            s += v
            if v < 0 { drift += v }
        }

        let updated = o.browserMajor > p.browserMajor || o.osVersion != p.osVersion
        if o.browserMajor < p.browserMajor { add(w.browserDowngrade) }
        if o.userAgent == p.userAgent { add(w.userAgentSame) }
        let privateNoise = o.looksPrivate && o.engine == .webkit

        if let c = o.canvas, !p.canvases.isEmpty, !privateNoise {
            add(p.canvases.contains(c) ? w.canvasSame : (updated ? w.canvasChangedAfterUpdate : w.canvasChanged))
        }
        if let g = o.webgl, !p.webgls.isEmpty {
            add(p.webgls.contains(g) ? w.webglSame : w.webglChanged)
        }
        if let a = o.audio, !p.audios.isEmpty, !privateNoise {
            let same = p.audios.contains { abs($0 - a) <= audioTolerance }
            add(same ? w.audioSame : (updated ? w.audioChangedAfterUpdate : w.audioChanged))
        }
        if let e = o.extras, !p.extras.isEmpty {
            add(p.extras.contains(e) ? w.extrasSame : w.extrasChanged)
        }

        // Hashes first: the lists themselves are read only when they differ (rare among candidates).
        if o.fonts != nil && p.hasFonts {
            if o.fontsHash == p.fontsHash {
                add(w.fontsSame)
            } else if let f = o.fonts, let pf = p.fonts, isSuperset(f, of: pf), f.count - pf.count <= 2 {
                add(w.fontsAdded)
            } else {
                add(w.fontsOther)
            }
        }
        if o.languages != nil && p.hasLanguages {
            if o.languagesHash == p.languagesHash {
                add(w.languagesSame)
            } else if let l = o.languages, let pl = p.languages, l.count > pl.count, Array(l.prefix(pl.count)) == pl {
                add(w.languagesAdded)
            } else {
                add(w.languagesOther)
            }
        }
        if let t = o.timezone, !p.timezones.isEmpty {
            add(p.timezones.contains(t) ? w.timezoneSeen : w.timezoneNew)
        }
        if let sc = o.screen, !p.screens.isEmpty {
            add(p.screens.contains(sc) ? w.screenSeen : (address >= 2 ? w.screenNewSameAddress : w.screenNew))
        }
        if o.cookiesDisabled != p.cookiesDisabled { add(w.cookiesChanged) }
        if let q = o.quota, let pq = p.quota, !o.looksPrivate {
            add(abs(q - pq) <= quotaTolerance * max(q, pq) ? w.quotaSame : w.quotaOther)
        }
        var navigation = 0
        if o.cameFrom != 0 && p.lastPage != 0 {
            // A reload keeps the referrer of the page's first load: on the same page, only a match counts.
            navigation = o.cameFrom == p.lastPage ? 1 : o.page == p.lastPage ? 0 : -1
            s += [w.cameFromOtherPage, 0, w.cameFromLastPage][navigation + 1]
        }
        return Match(score: s, address: address, drift: drift, navigation: navigation)
    }

    /// Field access through a pointer, without copying the profile.
    struct UnsafeProfile {
        let pointer: UnsafePointer<Profile>
        init(_ pointer: UnsafePointer<Profile>) { self.pointer = pointer }
        var hardware: UInt64 { pointer.pointee.hardware }
        var ips: Recent<8, UInt64> { pointer.pointee.ips }
        var networks: Recent<8, UInt64> { pointer.pointee.networks }
        var browserMajor: Int32 { pointer.pointee.browserMajor }
        var osVersion: UInt64 { pointer.pointee.osVersion }
        var userAgent: UInt64 { pointer.pointee.userAgent }
        var canvases: Recent<4, UInt64> { pointer.pointee.canvases }
        var webgls: Recent<4, UInt64> { pointer.pointee.webgls }
        var audios: Recent<4, Double> { pointer.pointee.audios }
        var extras: Recent<4, UInt64> { pointer.pointee.extras }
        var fonts: [UInt32]? { pointer.pointee.fonts }
        var fontsHash: UInt64 { pointer.pointee.fontsHash }
        var languages: [UInt32]? { pointer.pointee.languages }
        var languagesHash: UInt64 { pointer.pointee.languagesHash }
        var timezones: Recent<4, UInt32> { pointer.pointee.timezones }
        var screens: Recent<4, UInt64> { pointer.pointee.screens }
        var cookiesDisabled: Bool { pointer.pointee.cookiesDisabled }
        var quota: Double? { pointer.pointee.quota }
        var lastPage: UInt64 { pointer.pointee.lastPage }
        var hasFonts: Bool { pointer.pointee.fonts != nil }
        var hasLanguages: Bool { pointer.pointee.languages != nil }
    }

    /// Both sorted.
    static func isSuperset(_ a: [UInt32], of b: [UInt32]) -> Bool {
        var i = 0
        for x in b {
            while i < a.count && a[i] < x { i += 1 }
            if i == a.count || a[i] != x { return false }
            i += 1
        }
        return true
    }
}
