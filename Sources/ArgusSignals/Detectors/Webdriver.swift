/// `navigator.webdriver` is true: the browser is driven through WebDriver or
/// CDP automation (Selenium, Puppeteer/Playwright without stealth patches).
extension Detectors {
    static let webdriver = Detector("webdriver") { c in
        c.components.webdriver == true ? [Finding(.badBot, flag: "webdriver", detail: "selenium")] : []
    }
}
