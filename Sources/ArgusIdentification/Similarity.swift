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
    public var fontsOther = -4.0
    public var languagesSame = 0.3
    public var languagesAdded = -1.0
    public var languagesOther = -3.5
    // Places and screens.
    public var timezoneSeen = 0.3
    public var timezoneNew = -1.5
    public var screenSeen = 0.3
    public var screenNew = -1.2
    public var quotaSame = 0.5
    public var quotaOther = -3.0
    public var userAgentSame = 0.3
    public var browserDowngrade = -5.0
    /// Log prior odds that a visit without token is a new browser rather than one given known candidate.
    public var newVisitorPrior = 2.0

    public init() {}
}

public enum Similarity {
    static let audioTolerance = 1e-9
    /// Two quotas within this ratio are the same disk.
    static let quotaTolerance = 0.02

    /// nil: the visit cannot come from this visitor (different hardware).
    public static func score(_ o: Observation, _ p: Profile, _ w: Weights) -> Double? {
        guard o.hardware == p.hardware else { return nil }
        var s = 0.0
        if p.ips.last == o.ip {
            s += w.sameLastIP
        } else if p.ips.contains(o.ip) {
            s += w.recentIP
        } else if p.networks.contains(o.network) {
            s += w.sameNetwork
        }

        let updated = o.browserMajor > p.browserMajor || o.osVersion != p.osVersion
        if o.browserMajor < p.browserMajor { s += w.browserDowngrade }
        if o.userAgent == p.userAgent { s += w.userAgentSame }
        let privateNoise = o.looksPrivate && o.engine == .webkit

        if let c = o.canvas, !p.canvases.isEmpty, !privateNoise {
            s += p.canvases.contains(c) ? w.canvasSame : (updated ? w.canvasChangedAfterUpdate : w.canvasChanged)
        }
        if let g = o.webgl, !p.webgls.isEmpty {
            s += p.webgls.contains(g) ? w.webglSame : w.webglChanged
        }
        if let a = o.audio, !p.audios.isEmpty, !privateNoise {
            let same = p.audios.contains { abs($0 - a) <= audioTolerance }
            s += same ? w.audioSame : (updated ? w.audioChangedAfterUpdate : w.audioChanged)
        }
        if let e = o.extras, !p.extras.isEmpty {
            s += p.extras.contains(e) ? w.extrasSame : w.extrasChanged
        }

        if let f = o.fonts, let pf = p.fonts {
            if f == pf {
                s += w.fontsSame
            } else if isSuperset(f, of: pf), f.count - pf.count <= 2 {
                s += w.fontsAdded
            } else {
                s += w.fontsOther
            }
        }
        if let l = o.languages, let pl = p.languages {
            if l == pl {
                s += w.languagesSame
            } else if l.count > pl.count, Array(l.prefix(pl.count)) == pl {
                s += w.languagesAdded
            } else {
                s += w.languagesOther
            }
        }
        if let t = o.timezone, !p.timezones.isEmpty {
            s += p.timezones.contains(t) ? w.timezoneSeen : w.timezoneNew
        }
        if let sc = o.screen, !p.screens.isEmpty {
            s += p.screens.contains(sc) ? w.screenSeen : w.screenNew
        }
        if let q = o.quota, let pq = p.quota, !o.looksPrivate {
            s += abs(q - pq) <= quotaTolerance * max(q, pq) ? w.quotaSame : w.quotaOther
        }
        return s
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
