/// The user agent of a headless browser (`HeadlessChrome`, PhantomJS, …):
/// Chromium's `--headless` keeps `navigator.webdriver` false but says so here.
extension Detectors {
    static let headlessMarkers = ["HeadlessChrome", "PhantomJS", "SlimerJS", "HtmlUnit"]

    static let headlessBrowser = Detector("headlessBrowser") { c in
        let agentSays = c.automation?["headlessUA"]?.boolValue == true
        guard agentSays || headlessMarkers.contains(where: c.userAgent.has) else { return [] }
        return [Finding(.badBot, flag: "headless_browser", detail: "headless_browser")]
    }
}
