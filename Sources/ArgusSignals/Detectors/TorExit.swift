/// The client address is a listed Tor exit.
extension Detectors {
    static let torExit = Detector("torExit") { c in
        c.ip?.torExit == true ? [Finding(.tor, flag: "tor")] : []
    }
}
