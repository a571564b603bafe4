/// Private windows keep storage in memory and grant a far smaller quota
/// than a profile on disk: Chromium and WebKit grant normal profiles a
/// share of the disk (tens of GB and more), Gecko up to 10 GiB; private
/// windows a fraction of the device's memory (well under 4 GiB).
extension Detectors {
    /// Below these quotas (bytes) a window is private, per engine.
    static let privateQuotaLimit: [String: Double] = [
        "chromium": 4 * 1_073_741_824, "webkit": 4 * 1_073_741_824, "gecko": 1.5 * 1_073_741_824,
    ]

    static let incognito = Detector("incognito") { c in
        guard let quota = c.components.storageQuota, quota > 0, let limit = privateQuotaLimit[c.uaEngine], quota < limit
        else { return [] }
        return [Finding(.incognito, flag: "incognito", detail: "storage_quota")]
    }
}
