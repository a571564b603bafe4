/// A valid token arrived with a device that does not fit the visitor it
/// names (identification's verdict): the token was copied to another browser.
extension Detectors {
    static let copiedToken = Detector("copiedToken") { c in
        c.tokenMismatch
            ? [Finding(.copiedToken, flag: "copied_token"), Finding(.tampering, flag: "tampering", strength: 0.6, detail: "copied_token")]
            : []
    }
}
