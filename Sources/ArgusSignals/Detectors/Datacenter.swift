/// The client address belongs to a hosting or cloud network: browsers rarely
/// browse from one; proxies, VPN exits and bots do (v4 `proxy` with
/// `proxy_type: data_center`).
extension Detectors {
    static let datacenter = Detector("datacenter") { c in
        c.ip?.datacenter == true
            ? [Finding(.datacenter, flag: "datacenter_ip"), Finding(.proxy, flag: "proxy", strength: 0.8, detail: "data_center")]
            : []
    }
}
