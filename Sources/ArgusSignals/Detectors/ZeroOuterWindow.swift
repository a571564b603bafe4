/// An outer window of 0×0 with a real viewport: no window manager frame
/// around the page, as in headless and virtual-display automation.
extension Detectors {
    static let zeroOuterWindow = Detector("zeroOuterWindow") { c in
        guard let a = c.automation, a["outerWidth"]?.intValue == 0, a["outerHeight"]?.intValue == 0,
            (a["innerWidth"]?.intValue ?? 0) > 0, !c.isMobileUA
        else { return [] }
        return [Finding(.badBot, flag: "headless_browser", strength: 0.9, detail: "headless_browser")]
    }
}
