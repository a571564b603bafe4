/// `navigator.webdriver` hidden by a patch (a getter that is not native, an
/// own property on navigator, or a getter that accepts a foreign receiver):
/// automation that tries to look human ("stealth" plugins).
extension Detectors {
    static let stealthPatches = Detector("stealthPatches") { c in
        guard let d = c.automation?["webdriverDescriptor"]?.objectValue else { return [] }
        let patched =
            d["getter"]?.stringValue == "patched" || d["ownProperty"]?.boolValue == true
            || d["throwsOnForeignThis"]?.boolValue == false
        guard patched, c.uaEngine == "chromium" || c.uaEngine == "gecko" else { return [] }
        return [
            Finding(.badBot, flag: "automation_tool", detail: "stealth_automation"),
            Finding(.tampering, flag: "tampering", strength: 0.8, detail: "webdriver_patched"),
        ]
    }
}
