/// The known visitors of one environment, with blocking keys so that a
/// visit is compared with a few hundred candidates at most, however many
/// visitors there are: hardware plus canvas, plus audio, plus fonts and
/// languages, plus each recent IP and network. A returning browser shares
/// at least one of these with its own profile unless everything drifted at once.
public struct VisitorIndex: Sendable {
    /// Profiles by slot; `alive[slot]` is false for a freed slot. Not optional, so that
    /// candidates are compared in place (a copy of a profile costs a dozen reference counts).
    private var profiles: [Profile] = []
    private var alive: [Bool] = []
    private var slots: [String: Int] = [:]
    private var buckets: [UInt64: [Int32]] = [:]
    private var freeSlots: [Int] = []
    /// Known (not ephemeral) visitors per hardware key: how common a device model is.
    private var hardwareCounts: [UInt64: Int32] = [:]
    /// Known visitors per look (see `Observation.look`): how many identical twins there are.
    private var lookCounts: [UInt64: Int32] = [:]
    /// Visitors met only in private browsing (`Profile.ephemeral`) by the look of their private
    /// visits, the most recent few per look (`privateOnlyVisitors(look:hardware:)`).
    private var privateLooks: [UInt64: [Int32]] = [:]
    static let privateLookCapacity = 8
    /// Recent visitors per client IP: how many browsers share an address (households, offices, carrier NAT).
    private var addressVisitors: [UInt64: [Int32]] = [:]
    public static let addressCapacity = 64
    /// When a visitor was last seen at each address (its last address).
    private var addressSeen: [UInt64: Int64] = [:]
    /// Addresses households moved to, with the moves that led there (`Profile.move`).
    private var moves: [UInt64: [Profile.AddressMove]] = [:]
    /// Provisional visitors by the rivals they list (`Profile.provisional`): who else might be each silent visitor.
    private var claims: [String: [String]] = [:]
    /// Moves remembered per address.
    static let movesPerAddress = 4
    /// Addresses with more recent visitors than this are not a household's.
    public static let householdLimit = 6
    /// Most recently touched visitors kept per blocking key. A popular device model fills a
    /// rendering's or a font set's bucket at once: at 24 (until 2026-11-23) a browser back from
    /// a new address had often dropped out of all of its buckets while still the best match
    /// (`tools/replay.py --chains`). 64 costs the engine about 4 µs more per identify with 10
    /// thousand visitors and about 25 µs with a million (`argus benchmark-engine`: 21 and 31
    /// candidates instead of 10 and 12), still bounded however many visitors there are.
    public static let addressBucketCapacity = 64
    public static let bucketCapacity = 64

    public init() {}

    public var count: Int { slots.count }
    /// Visits of all known visitors (their `eventCount`s).
    public private(set) var visits: Int64 = 0
    /// The earliest first visit of any visitor ever held: when the environment started.
    public private(set) var firstSeen: Int64 = .max

    public func profile(_ visitorID: String) -> Profile? {
        slots[visitorID].map { profiles[$0] }
    }

    /// Inserts or replaces a visitor's profile.
    public mutating func upsert(_ profile: Profile) {
        let slot: Int
        if let existing = slots[profile.visitorID] {
            slot = existing
        } else if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = profiles.count
            profiles.append(profile)
            alive.append(false)
        }
        let before: Profile? = alive[slot] ? profiles[slot] : nil
        visits += profile.eventCount - (before?.eventCount ?? 0)
        firstSeen = min(firstSeen, profile.firstSeenAt)
        profiles[slot] = profile
        alive[slot] = true
        slots[profile.visitorID] = slot
        if let before, before.isCandidate {
            hardwareCounts[before.hardware, default: 0] -= 1
            lookCounts[before.look, default: 0] -= 1
        }
        if profile.isCandidate {
            hardwareCounts[profile.hardware, default: 0] += 1
            lookCounts[profile.look, default: 0] += 1
            for (key, byAddress) in Self.keys(of: profile) {
                touch(key, slot: Int32(slot), in: &buckets, capacity: byAddress ? Self.addressBucketCapacity : Self.bucketCapacity)
            }
        }
        if profile.ephemeral, profile.mergedInto == nil, profile.look != 0 {
            touch(profile.look, slot: Int32(slot), in: &privateLooks, capacity: Self.privateLookCapacity)
        }
        if let ip = profile.ips.last {
            touch(ip, slot: Int32(slot), in: &addressVisitors, capacity: Self.addressCapacity)
            if profile.lastSeenAt > addressSeen[ip] ?? .min { addressSeen[ip] = profile.lastSeenAt }
        }
        if let move = profile.move, move != before?.move { note(move) }
        let listed = before?.provisional ?? []
        if listed != profile.provisional {
            for rival in listed where !profile.provisional.contains(rival) { dropClaim(profile.visitorID, on: rival) }
            for rival in profile.provisional where !listed.contains(rival) { claims[rival, default: []].append(profile.visitorID) }
        }
    }

    private mutating func dropClaim(_ claimant: String, on rival: String) {
        claims[rival]?.removeAll { $0 == claimant }
        if claims[rival]?.isEmpty == true { claims[rival] = nil }
    }

    /// The visits a visitor returning at this environment's average rate would have made since
    /// `since`: (visits per visitor − 1) · silence / the environment's age, capped as `Profile.silence`.
    public func silenceAtTheUsualRate(since: Int64, at now: Int64) -> Double {
        let age = Double(now - firstSeen)
        guard count > 0, age > 0, now > since else { return 0 }
        let returns = max(0, Double(visits) / Double(count) - 1)
        return min(Profile.silenceCap, returns * Double(now - since) / age)
    }

    /// Provisional visitors (other than `except`) that still list `visitorID` as a rival.
    public func claimants(of visitorID: String, except: String? = nil) -> Int {
        claims[visitorID]?.count { $0 != except } ?? 0
    }

    @discardableResult
    public mutating func remove(_ visitorID: String) -> Bool {
        guard let slot = slots.removeValue(forKey: visitorID) else { return false }
        let p = profiles[slot]
        visits -= p.eventCount
        for rival in p.provisional { dropClaim(visitorID, on: rival) }
        if p.isCandidate {
            hardwareCounts[p.hardware, default: 0] -= 1
            lookCounts[p.look, default: 0] -= 1
        }
        alive[slot] = false
        freeSlots.append(slot)  // stale bucket entries are skipped: the slot's visitor id no longer matches
        return true
    }

    /// Compares the observation with every candidate that shares a blocking key
    /// (in place, without copying profiles); `excluding` is left out.
    public func evaluateCandidates(
        for o: Observation, excluding: String?, weights: Weights
    ) -> (matches: [(slot: Int32, match: Similarity.Match)], compared: Int) {
        var seen = Set<Int32>()
        var out: [(slot: Int32, match: Similarity.Match)] = []
        var compared = 0
        profiles.withUnsafeBufferPointer { profiles in
            guard let base = profiles.baseAddress else { return }
            for (key, _) in Self.keys(of: o) {
                guard let bucket = buckets[key] else { continue }
                for slot in bucket where seen.insert(slot).inserted {
                    let i = Int(slot)
                    let p = base + i
                    guard alive[i], p.pointee.hardware == o.hardware, !p.pointee.ephemeral, p.pointee.mergedInto == nil,
                        excluding == nil || p.pointee.visitorID != excluding
                    else { continue }
                    compared += 1
                    if let m = Similarity.evaluate(o, p, weights) { out.append((slot, m)) }
                }
            }
        }
        return (out, compared)
    }

    public func profile(atSlot slot: Int32) -> Profile { profiles[Int(slot)] }

    /// Visitors met only in private browsing so far (their first visit was private), last
    /// seen at this address, on this hardware.
    public func privateOnlyVisitors(at ip: UInt64, hardware: UInt64) -> [Int32] {
        privateOnly(among: addressVisitors[ip], hardware: hardware) { $0.pointee.ips.last == ip }
    }

    /// Visitors met only in private browsing so far whose look is `look`, on this hardware
    /// (stale entries, of visitors since seen outside private browsing or gone, are skipped).
    public func privateOnlyVisitors(look: UInt64, hardware: UInt64) -> [Int32] {
        privateOnly(among: privateLooks[look], hardware: hardware) { $0.pointee.look == look }
    }

    /// Of `slots`, the live private-only visitors (not joined into another) on this hardware
    /// that also satisfy `also`. Profiles are read in place, as in `evaluateCandidates`.
    private func privateOnly(
        among slots: [Int32]?, hardware: UInt64, _ also: (UnsafePointer<Profile>) -> Bool
    ) -> [Int32] {
        guard let slots else { return [] }
        return profiles.withUnsafeBufferPointer { profiles in
            slots.filter { slot in
                let p = profiles.baseAddress! + Int(slot)
                return alive[Int(slot)] && p.pointee.ephemeral && p.pointee.mergedInto == nil && p.pointee.hardware == hardware
                    && also(p)
            }
        }
    }

    /// Visitors joined into `visitorID`, directly or through others (a scan: erasure is rare).
    public func aliases(of visitorID: String) -> [String] {
        var found: [String] = []
        var frontier: Set<String> = [visitorID]
        while !frontier.isEmpty {
            var next: Set<String> = []
            for (i, p) in profiles.enumerated() where alive[i] {
                if let target = p.mergedInto, frontier.contains(target), !found.contains(p.visitorID) {
                    found.append(p.visitorID)
                    next.insert(p.visitorID)
                }
            }
            frontier = next
        }
        return found
    }

    /// Known visitors with this hardware key.
    public func hardwareCount(_ hardware: UInt64) -> Int { Int(hardwareCounts[hardware] ?? 0) }

    /// Known visitors whose last ordinary visit had this look.
    public func lookCount(_ look: UInt64) -> Int { Int(lookCounts[look] ?? 0) }

    /// Distinct visitors recently seen at this address (up to `addressCapacity`).
    public func addressCount(_ ip: UInt64) -> Int {
        addressVisitors[ip]?.count { slot in alive[Int(slot)] } ?? 0
    }

    private mutating func note(_ move: Profile.AddressMove) {
        var list = moves[move.to] ?? []
        list.removeAll { $0.from == move.from }
        list.append(move)
        if list.count > Self.movesPerAddress { list.removeFirst(list.count - Self.movesPerAddress) }
        moves[move.to] = list
    }

    /// The addresses households left for `ip`: a browser moved from there to here and nobody
    /// was seen there since (a new address from the provider, not a second home or an office).
    /// Both addresses must look like a household's (few browsers), now, not only when the move
    /// was seen: checked here so that the answer does not depend on the order profiles were loaded.
    public func formerAddresses(of ip: UInt64) -> [UInt64] {
        guard let list = moves[ip], addressCount(ip) <= Self.householdLimit else { return [] }
        return list.compactMap { m in
            (addressSeen[m.from] ?? .min) <= m.at && addressCount(m.from) <= Self.householdLimit ? m.from : nil
        }
    }

    /// Moves `slot` to the end of the list under `key`, keeping at most `capacity` entries.
    private func touch(_ key: UInt64, slot: Int32, in map: inout [UInt64: [Int32]], capacity: Int) {
        var bucket = map.removeValue(forKey: key) ?? []
        if let i = bucket.lastIndex(of: slot) {
            if i == bucket.count - 1 {
                map[key] = bucket
                return
            }
            bucket.remove(at: i)
        }
        bucket.append(slot)
        if bucket.count > capacity { bucket.removeFirst(bucket.count - capacity) }
        map[key] = bucket
    }

    enum KeyKind: UInt64 {
        case canvas = 1, audio, software, ip, network
    }

    static func key(_ kind: KeyKind, _ hardware: UInt64, _ value: UInt64) -> UInt64 {
        mix(hardware ^ mix(value &+ kind.rawValue &* 0x9E37_79B9_7F4A_7C15))
    }

    /// SplitMix64's finaliser.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func audioBucket(_ a: Double) -> UInt64 { UInt64(bitPattern: Int64((a * 1e6).rounded())) }

    static func softwareKey(_ fonts: UInt64, _ languages: UInt64) -> UInt64 { mix(fonts ^ mix(languages)) }

    /// Blocking keys of a profile, each marked when it is an address key.
    static func keys(of p: Profile) -> [(UInt64, Bool)] {
        var keys: [(UInt64, Bool)] = []
        for c in p.canvases.suffix(2) { keys.append((key(.canvas, p.hardware, c), false)) }
        for a in p.audios.suffix(2) { keys.append((key(.audio, p.hardware, audioBucket(a)), false)) }
        keys.append((key(.software, p.hardware, softwareKey(p.fontsHash, p.languagesHash)), false))
        for ip in p.ips.suffix(4) { keys.append((key(.ip, p.hardware, ip), true)) }
        for n in p.networks.suffix(2) { keys.append((key(.network, p.hardware, n), true)) }
        return keys
    }

    static func keys(of o: Observation) -> [(UInt64, Bool)] {
        var keys: [(UInt64, Bool)] = []
        if let c = o.canvas { keys.append((key(.canvas, o.hardware, c), false)) }
        if let a = o.audio { keys.append((key(.audio, o.hardware, audioBucket(a)), false)) }
        keys.append((key(.software, o.hardware, softwareKey(o.fontsHash, o.languagesHash)), false))
        keys.append((key(.ip, o.hardware, o.ip), true))
        for ip in o.formerAddresses { keys.append((key(.ip, o.hardware, ip), true)) }
        keys.append((key(.network, o.hardware, o.network), true))
        return keys
    }
}
