/// Globals and attributes that automation frameworks inject into the page
/// (ChromeDriver's `cdc_…`, Selenium, Playwright, Puppeteer, PhantomJS,
/// Nightmare, Cypress): the framework names the bot type (markers are
/// matched against the lowercased name).
extension Detectors {
    static let frameworkMarkers: [(marker: String, type: String)] = [
        ("cdc_", "selenium"), ("$wdc_", "selenium"), ("selenium", "selenium"), ("webdriver", "selenium"),
        ("fxdriver", "selenium"), ("driver", "selenium"), ("_selenium_ide", "selenium"),
        ("playwright", "playwright"), ("__pw", "playwright"), ("puppeteer", "puppeteer"),
        ("phantom", "phantomjs"), ("nightmare", "nightmare"), ("cypress", "cypress"),
        ("domautomation", "chrome_automation"), ("awesomium", "awesomium"), ("wdioelectron", "webdriverio"),
    ]

    static let automationGlobals = Detector("automationGlobals") { c in
        let globals = (c.automation?["globals"]?.arrayValue ?? []).compactMap(\.stringValue)
        let attributes = (c.automation?["documentAttributes"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard let first = (globals + attributes).first else { return [] }
        let name = first.lowercased()
        let type = frameworkMarkers.first { name.has($0.marker) }?.type ?? "automation_tool"
        return [Finding(.badBot, flag: "automation_tool", detail: type)]
    }
}
