import ArgusCore

/// Components that contradict each other: a user agent saying iPhone with
/// no touch; a Windows user agent with a Mac platform; userAgentData naming
/// another OS; an Apple GPU on Windows; a SpiderMonkey engine behind a
/// Chrome user agent. Real browsers do not produce these; spoofing does.
extension Detectors {
    static let platformOS: [(prefix: String, os: String)] = [
        ("Win", "windows"), ("Mac", "macos"), ("iPhone", "ios"), ("iPad", "ios"), ("iPod", "ios"),
        ("Linux armv", "android_or_linux"), ("Linux aarch64", "android_or_linux"), ("Linux", "linux"), ("CrOS", "chromeos"),
    ]

    static func osOfPlatform(_ platform: String) -> String? {
        platformOS.first { platform.hasPrefix($0.prefix) }?.os
    }

    static func sameOS(_ ua: String, _ other: String) -> Bool {
        if ua == other { return true }
        if other == "android_or_linux" { return ua == "android" || ua == "linux" || ua == "chromeos" }
        if other == "linux" { return ua == "android" || ua == "chromeos" }  // Android tablets may say "Linux x86_64"
        if ua == "ios" && other == "macos" { return true }  // iPadOS desktop mode
        return false
    }

    static let consistency = Detector("consistency") { c in
        var findings: [Finding] = []
        func contradiction(_ detail: String, _ strength: Double) {
            findings.append(Finding(.tampering, flag: "tampering", strength: strength, detail: detail))
        }
        let os = c.uaOS
        if os == "ios" || os == "android", c.components.maxTouchPoints == 0 { contradiction("mobile_ua_without_touch", 0.6) }
        if let platform = c.components.platform, !platform.isEmpty, let pOS = osOfPlatform(platform), os != "other",
            !sameOS(os, pOS)
        {
            contradiction("platform_ua_mismatch", 0.7)
        }
        if let p = c.uaData?["platform"]?.stringValue, !p.isEmpty {
            let m: [String: String] = ["Windows": "windows", "macOS": "macos", "Linux": "linux", "Android": "android", "Chrome OS": "chromeos", "Chromium OS": "chromeos", "iOS": "ios"]
            if let uaDataOS = m[p], os != "other", uaDataOS != os, !(uaDataOS == "linux" && os == "android") {
                contradiction("ua_data_mismatch", 0.7)
            }
        }
        if let gpu = c.components.webglRenderer ?? c.components.webglVendor {
            let apple = gpu.has("Apple M") || gpu.has("Apple GPU")
            let direct3D = gpu.has("Direct3D")
            if apple && (os == "windows" || os == "android") { contradiction("gpu_os_mismatch", 0.45) }
            if direct3D && (os == "macos" || os == "ios" || os == "android") { contradiction("gpu_os_mismatch", 0.45) }
        }
        if let engine = c.components["engine"]?.objectValue, let evalLength = engine["evalLength"]?.intValue {
            let expected: Int64? = c.uaEngine == "gecko" ? 37 : (c.uaEngine == "chromium" || c.uaEngine == "webkit" ? 33 : nil)
            if let expected, evalLength != expected { contradiction("engine_ua_mismatch", 0.8) }
        }
        if c.uaEngine == "gecko", c.components.vendor == "Google Inc." { contradiction("vendor_ua_mismatch", 0.6) }
        if c.uaEngine == "chromium", let v = c.components.vendor, v == "" { contradiction("vendor_ua_mismatch", 0.5) }
        // Spoofed user agent + contradicting engine facts is what anti-detect browsers leave behind.
        let strong = findings.filter { $0.strength >= 0.7 }.count
        if strong >= 2 { findings.append(Finding(.antiDetectBrowser, flag: "anti_detect_browser", strength: 0.7)) }
        return findings
    }
}
