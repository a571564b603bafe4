import ArgusCore

/// Private windows keep their storage in memory. Two ways that shows:
///
/// - Quota: WebKit, Gecko and Chromium before its static quota grant a
///   private window a fraction of the device's memory (well under 4 GiB),
///   a profile on disk a share of the disk (tens of GB and more; Gecko up
///   to 10 GiB).
/// - Cache API accounting (Chromium): an off-the-record profile's Cache
///   Storage runs on the in-memory disk-cache backend, which charges each
///   entry its exact byte size; on disk Chromium uses the simple cache,
///   whose index records entry sizes in 256-byte blocks. The agent's
///   `cacheUsage` stores two entries whose bodies differ by one byte: in
///   memory the second costs exactly one byte more than the first, on disk
///   both cost the same whole number of blocks. Chromium 138+ reports a
///   static quota (`usage + 10 GiB` in incognito and on any disk with room)
///   so this is what sees its incognito windows (docs/signals.md has the
///   measurements).
extension Detectors {
    /// Below these quotas (bytes) a window is private, per engine.
    static let privateQuotaLimit: [String: Double] = [
        "chromium": 4 * 1_073_741_824, "webkit": 4 * 1_073_741_824, "gecko": 1.5 * 1_073_741_824,
    ]

    static let incognito = Detector("incognito") { c in
        if let quota = c.components.storageQuota, quota > 0, let limit = privateQuotaLimit[c.uaEngine], quota < limit {
            return [Finding(.incognito, flag: "incognito", detail: "storage_quota")]
        }
        if c.uaEngine == "chromium", c.components.cacheUsageCountsBytes {
            return [Finding(.incognito, flag: "incognito", detail: "in_memory_cache_storage")]
        }
        return []
    }
}
