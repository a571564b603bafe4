extension String {
    /// Byte-wise substring test. `String.contains(String)` resolves to
    /// Foundation's NSString search on Linux, which cost the detectors about
    /// 100 µs per visit (measured with perf); user agents and GPU names are
    /// compared byte for byte anyway.
    func has(_ needle: String) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard let first = n.first else { return true }
                guard n.count <= h.count else { return false }
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }
}
