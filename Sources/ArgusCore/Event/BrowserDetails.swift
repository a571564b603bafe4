import Foundation

/// Browser, OS and device read from a user agent string (v4 `browser_details`).
public struct BrowserDetails: Sendable, Equatable {
    public var browserName = "Other"
    public var browserMajorVersion = ""
    public var browserFullVersion = ""
    public var os = "Other"
    public var osVersion = ""
    public var device = "Other"

    public init() {}

    public var json: JSON {
        [
            "browser_name": .string(browserName),
            "browser_major_version": .string(browserMajorVersion),
            "browser_full_version": .string(browserFullVersion),
            "os": .string(os),
            "os_version": .string(osVersion),
            "device": .string(device),
        ]
    }

    /// Order matters: Edge, Opera and Samsung also say "Chrome"; Chrome also says "Safari".
    static let browsers: [(token: String, name: String)] = [
        ("EdgiOS/", "Edge"), ("EdgA/", "Edge"), ("Edg/", "Edge"), ("Edge/", "Edge"),
        ("OPR/", "Opera"), ("YaBrowser/", "Yandex Browser"), ("SamsungBrowser/", "Samsung Internet"),
        ("HeadlessChrome/", "Headless Chrome"), ("CriOS/", "Chrome Mobile iOS"), ("FxiOS/", "Firefox iOS"),
        ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Version/", "Safari"),
    ]

    public static func parse(userAgent ua: String) -> BrowserDetails {
        let ua = UTF8Text(ua)
        var d = BrowserDetails()
        for (token, name) in browsers {
            guard let version = versionAfter(token, in: ua) else { continue }
            if token == "Version/" && !ua.contains("Safari/") { continue }
            d.browserName = name
            d.browserFullVersion = version
            d.browserMajorVersion = String(version.prefix { $0 != "." })
            break
        }
        if d.browserName == "Chrome", ua.contains("Mobile") { d.browserName = "Chrome Mobile" }
        if d.browserName == "Safari", ua.contains("Mobile/") { d.browserName = "Mobile Safari" }

        if let v = versionAfter("Windows NT ", in: ua) {
            d.os = "Windows"
            d.osVersion = ["10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.1": "XP"][v] ?? v
        } else if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
            d.os = "iOS"
            d.osVersion = (versionAfter("OS ", in: ua) ?? "").replacingUnderscores()
            d.device = ua.contains("iPad") ? "iPad" : (ua.contains("iPod") ? "iPod" : "iPhone")
        } else if let v = versionAfter("Android ", in: ua) {
            d.os = "Android"
            d.osVersion = v
            d.device = androidModel(ua) ?? "Generic Smartphone"
        } else if ua.contains("Mac OS X") {
            d.os = "Mac OS X"
            d.osVersion = (versionAfter("Mac OS X ", in: ua) ?? "").replacingUnderscores()
        } else if ua.contains("CrOS") {
            d.os = "Chrome OS"
        } else if ua.contains("Linux") {
            d.os = "Linux"
        }
        return d
    }

    /// The run of version characters after `token`, if the token is present.
    static func versionAfter(_ token: String, in ua: UTF8Text) -> String? {
        guard let end = ua.end(of: token) else { return nil }
        let version = ua.bytes[end...].prefix { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F }
        return version.isEmpty ? nil : String(decoding: version, as: UTF8.self)
    }

    static func androidModel(_ text: UTF8Text) -> String? {
        // "(Linux; Android 14; SM-S918B) AppleWebKit…": the model follows the Android version.
        let ua = text.string
        guard let open = ua.firstIndex(of: "("), let close = ua[open...].firstIndex(of: ")") else { return nil }
        let parts = ua[ua.index(after: open)..<close].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let i = parts.firstIndex(where: { $0.hasPrefix("Android") }), i + 1 < parts.count else { return nil }
        let model = parts[i + 1].replacingOccurrences(of: " Build/", with: "|").split(separator: "|").first.map(String.init)
        guard let model, !model.isEmpty, model != "K", model != "wv" else { return nil }
        return model
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { replacingOccurrences(of: "_", with: ".") }
}

/// A user agent as bytes, searched without Foundation (which is slow here).
struct UTF8Text {
    let string: String
    let bytes: [UInt8]

    init(_ string: String) {
        self.string = string
        bytes = Array(string.utf8)
    }

    /// The index just after the first occurrence of `needle`.
    func end(of needle: String) -> Int? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, n.count <= bytes.count else { return nil }
        var i = 0
        while i + n.count <= bytes.count {
            if bytes[i] == n[0] {
                var j = 1
                while j < n.count && bytes[i + j] == n[j] { j += 1 }
                if j == n.count { return i + n.count }
            }
            i += 1
        }
        return nil
    }

    func contains(_ needle: String) -> Bool { end(of: needle) != nil }
}
