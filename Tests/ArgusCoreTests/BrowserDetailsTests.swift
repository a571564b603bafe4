import ArgusCore
import Testing

@Suite struct BrowserDetailsTests {
    @Test func chromeOnWindows() {
        let d = BrowserDetails.parse(
            userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36")
        #expect(d.browserName == "Chrome")
        #expect(d.browserMajorVersion == "147")
        #expect(d.browserFullVersion == "147.0.0.0")
        #expect(d.os == "Windows")
        #expect(d.osVersion == "10")
        #expect(d.device == "Other")
    }

    @Test func edgeIsNotChrome() {
        let d = BrowserDetails.parse(
            userAgent:
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36 Edg/147.0.3179.54")
        #expect(d.browserName == "Edge")
        #expect(d.browserFullVersion == "147.0.3179.54")
    }

    @Test func safariOnIPhone() {
        let d = BrowserDetails.parse(
            userAgent:
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1")
        #expect(d.browserName == "Mobile Safari")
        #expect(d.browserMajorVersion == "18")
        #expect(d.os == "iOS")
        #expect(d.osVersion == "18.4")
        #expect(d.device == "iPhone")
    }

    @Test func firefoxOnMacAndSamsungOnAndroid() {
        let f = BrowserDetails.parse(userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:150.0) Gecko/20100101 Firefox/150.0")
        #expect(f.browserName == "Firefox")
        #expect(f.os == "Mac OS X")
        #expect(f.osVersion == "10.15")
        let s = BrowserDetails.parse(
            userAgent:
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/29.0 Chrome/136.0.0.0 Mobile Safari/537.36")
        #expect(s.browserName == "Samsung Internet")
        #expect(s.os == "Android")
        #expect(s.osVersion == "14")
        #expect(s.device == "SM-S918B")
    }

    @Test func headlessChromeIsNamed() {
        let d = BrowserDetails.parse(
            userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36")
        #expect(d.browserName == "Headless Chrome")
        #expect(d.os == "Linux")
    }
}
