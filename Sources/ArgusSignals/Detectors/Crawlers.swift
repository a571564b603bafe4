/// Search-engine and social crawlers. A crawler is a good bot only when
/// reverse-then-forward DNS puts its address under its operator's domains;
/// a user agent that claims one from elsewhere is an impersonator (bad).
public enum Crawlers {
    public struct Crawler: Sendable {
        public let name: String
        /// Substring of the user agent.
        public let marker: String
        /// Host name suffixes of the operator's crawl hosts.
        public let domains: [String]
    }

    public static let known: [Crawler] = [
        Crawler(name: "googlebot", marker: "Googlebot", domains: [".googlebot.com", ".google.com", ".googleusercontent.com"]),
        Crawler(name: "google_other", marker: "Google-InspectionTool", domains: [".googlebot.com", ".google.com"]),
        Crawler(name: "bingbot", marker: "bingbot", domains: [".search.msn.com"]),
        Crawler(name: "applebot", marker: "Applebot", domains: [".applebot.apple.com"]),
        Crawler(name: "duckduckbot", marker: "DuckDuckBot", domains: [".duckduckgo.com"]),
        Crawler(name: "yandexbot", marker: "YandexBot", domains: [".yandex.ru", ".yandex.net", ".yandex.com"]),
        Crawler(name: "baiduspider", marker: "Baiduspider", domains: [".baidu.com", ".baidu.jp"]),
        Crawler(name: "facebookexternalhit", marker: "facebookexternalhit", domains: [".facebook.com", ".fbsv.net"]),
    ]

    /// The crawler a user agent claims to be.
    public static func claimed(by userAgent: String) -> Crawler? { known.first { userAgent.has($0.marker) } }

    /// Reverse-then-forward verification with a resolver the caller provides
    /// (the server's uses the system resolver; tests inject one).
    public static func verify(
        address: String, crawler: Crawler, reverse: (String) async -> [String], forward: (String) async -> [String]
    ) async -> CrawlerVerification {
        for host in await reverse(address) {
            let h = host.hasSuffix(".") ? String(host.dropLast()).lowercased() : host.lowercased()
            guard crawler.domains.contains(where: { h.hasSuffix($0) }) else { continue }
            let addresses = await forward(h)
            if addresses.contains(where: { IPNumber($0) != nil && IPNumber($0) == IPNumber(address) }) {
                return .verified(name: crawler.name)
            }
        }
        return .failed(name: crawler.name)
    }
}

extension Detectors {
    static let crawler = Detector("crawler") { c in
        switch c.crawlerVerification {
        case .verified(let name)?: return [Finding(.goodBot, flag: "good_bot", detail: name)]
        case .failed(let name)?: return [Finding(.badBot, flag: "impersonated_crawler", detail: "fake_\(name)")]
        case nil: return []
        }
    }
}
