/// Every detector, in the order their findings are reported. Adding a
/// detector: one file with a `static let` in this namespace, one line here.
public enum Detectors {
    public static let all: [Detector] = [
        webdriver, headlessBrowser, automationGlobals, stealthPatches, zeroOuterWindow, pluginsConsistency, crawler,
        incognito, developerTools, virtualMachine, privacySettings, functionTampering, consistency, copiedToken,
        torExit, datacenter, vpn, velocity, rareDevice,
    ]
}
