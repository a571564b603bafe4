/// Elapsed times as the benchmark commands print them.
extension Duration {
    var microseconds: Double { Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12 }
    var seconds: Double { microseconds / 1e6 }
}
