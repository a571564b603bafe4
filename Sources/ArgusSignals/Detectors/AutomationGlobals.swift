/// Globals and attributes that automation frameworks inject into the page
/// (ChromeDriver's `cdc_…`, Selenium, Playwright, Puppeteer, PhantomJS,
/// Nightmare, Cypress): the framework names the bot type.
extension Detectors {
    static let frameworkMarkers: [(marker: String, type: String)] = [
        ("cdc_", "selenium"), ("$wdc_", "selenium"), ("selenium", "selenium"), ("webdriver", "selenium"),
        ("fxdriver", "selenium"), ("driver", "selenium"), ("_Selenium_IDE", "selenium"),
        ("playwright", "playwright"), ("__pw", "playwright"), ("puppeteer", "puppeteer"),
        ("phantom", "phantomjs"), ("nightmare", "nightmare"), ("cypress", "cypress"), ("Cypress", "cypress"),
        ("domAutomation", "chrome_automation"), ("awesomium", "awesomium"), ("wdioElectron", "webdriverio"),
    ]

    static let automationGlobals = Detector("automationGlobals") { c in
        let globals = (c.automation?["globals"]?.arrayValue ?? []).compactMap(\.stringValue)
        let attributes = (c.automation?["documentAttributes"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard let first = (globals + attributes).first else { return [] }
        let type = frameworkMarkers.first { first.has($0.marker) }?.type ?? "automation_tool"
        return [Finding(.badBot, flag: "automation_tool", detail: type)]
    }
}
