/// Desktop Chromium and Firefox list their built-in PDF viewer plugins (five
/// names since 2023) unless the PDF viewer is off; none at all, or no
/// languages, is what old headless builds and some automation show.
extension Detectors {
    static let pluginsConsistency = Detector("pluginsConsistency") { c in
        var findings: [Finding] = []
        let desktop = !c.isMobileUA && (c.uaEngine == "chromium" || c.uaEngine == "gecko")
        if desktop, let plugins = c.components["plugins"]?.arrayValue, plugins.isEmpty,
            c.components["pdfViewerEnabled"]?.boolValue != false
        {
            findings.append(Finding(.tampering, flag: "tampering", strength: 0.4, detail: "no_plugins"))
        }
        if let languages = c.components.languages, languages.isEmpty {
            findings.append(Finding(.badBot, flag: "automation_tool", strength: 0.7, detail: "headless_browser"))
        }
        return findings
    }
}
