/// Activity a person does not produce: many addresses for one browser in an
/// hour (`velocity_ip`), many events in a day (`high_activity_device`).
extension Detectors {
    static let distinctIPsPerHour = 8
    static let distinctIPsPer5Minutes = 4
    static let eventsPerDay = 200

    static let velocity = Detector("velocity") { c in
        guard let v = c.velocity else { return [] }
        var findings: [Finding] = []
        if v.distinctIP.oneHour >= distinctIPsPerHour || v.distinctIP.fiveMinutes >= distinctIPsPer5Minutes {
            findings.append(Finding(.velocity, flag: "velocity_ip"))
        }
        if v.events.day >= eventsPerDay { findings.append(Finding(.highActivity, flag: "high_activity_device")) }
        return findings
    }
}
