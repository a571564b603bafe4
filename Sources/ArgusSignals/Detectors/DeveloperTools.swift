/// Docked developer tools take space from the viewport: the outer window is
/// much larger than the page's inner size (more than browser chrome and
/// scrollbars explain).
extension Detectors {
    static let developerTools = Detector("developerTools") { c in
        guard !c.isMobileUA, let a = c.automation, let ow = a["outerWidth"]?.intValue, let oh = a["outerHeight"]?.intValue,
            let iw = a["innerWidth"]?.intValue, let ih = a["innerHeight"]?.intValue, ow > 0, oh > 0, iw > 0, ih > 0
        else { return [] }
        let zoom = c.components.screen?["pixelRatio"]?.doubleValue ?? 1
        guard zoom <= 1.01 else { return [] }  // zoomed pages change inner sizes, not devtools
        return ow - iw > 240 || oh - ih > 320 ? [Finding(.developerTools, flag: "developer_tools")] : []
    }
}
