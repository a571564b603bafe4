import Prometheus

extension PrometheusCollectorRegistry {
    /// One counter `argus_<name>_total{<label>="<case>"}` per case of `Key`, made up front so
    /// that every series shows from the start, at 0.
    func argusCounters<Key: CaseIterable & RawRepresentable & Hashable>(
        _ name: String, label: String, help: String, for _: Key.Type = Key.self
    ) -> [Key: Counter] where Key.RawValue == String {
        var counters: [Key: Counter] = [:]
        for key in Key.allCases {
            counters[key] = makeCounter(
                descriptor: .init(namespace: "argus", metricName: name, unitName: "total", helpText: help),
                labels: [(label, key.rawValue)])
        }
        return counters
    }
}
