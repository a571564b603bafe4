import Synchronization

/// Counts over the last 5 minutes, 1 hour and 24 hours (v4 `VelocityData`).
public struct WindowCounts: Sendable, Equatable {
    public var fiveMinutes: Int
    public var oneHour: Int
    public var day: Int

    public init(_ fiveMinutes: Int, _ oneHour: Int, _ day: Int) {
        self.fiveMinutes = fiveMinutes
        self.oneHour = oneHour
        self.day = day
    }
}

/// The v4 `velocity` object of one event.
public struct VelocityCounts: Sendable, Equatable {
    public var distinctIP: WindowCounts
    public var distinctLinkedID: WindowCounts?
    public var distinctCountry: WindowCounts?
    public var events: WindowCounts
    public var ipEvents: WindowCounts
    public var distinctIPByLinkedID: WindowCounts?
    public var distinctVisitorByLinkedID: WindowCounts?

    public init(
        distinctIP: WindowCounts, distinctLinkedID: WindowCounts? = nil, distinctCountry: WindowCounts? = nil,
        events: WindowCounts, ipEvents: WindowCounts, distinctIPByLinkedID: WindowCounts? = nil,
        distinctVisitorByLinkedID: WindowCounts? = nil
    ) {
        self.distinctIP = distinctIP
        self.distinctLinkedID = distinctLinkedID
        self.distinctCountry = distinctCountry
        self.events = events
        self.ipEvents = ipEvents
        self.distinctIPByLinkedID = distinctIPByLinkedID
        self.distinctVisitorByLinkedID = distinctVisitorByLinkedID
    }
}

/// Event counts in time buckets: minutes for the last 5 minutes, 5-minute
/// buckets for the hour, hours for the day. Fixed size: O(1) per event.
struct BucketSeries: Sendable {
    private var minutes = InlineRing<6>()
    private var fives = InlineRing<13>()
    private var hours = InlineRing<25>()

    mutating func add(_ t: Int64) {
        minutes.add(slot: t / 60_000)
        fives.add(slot: t / 300_000)
        hours.add(slot: t / 3_600_000)
    }

    func counts(at t: Int64) -> WindowCounts {
        WindowCounts(
            minutes.sum(since: t / 60_000 - 4), fives.sum(since: t / 300_000 - 11), hours.sum(since: t / 3_600_000 - 23))
    }
}

/// N (slot, count) pairs; a slot's count is replaced when the ring wraps.
/// Slots are minutes, 5-minute spans or hours since 1970 (Int32 lasts
/// beyond the year 6000), counts saturate at UInt32.max: 8 bytes a bucket.
struct InlineRing<let N: Int>: Sendable {
    private var slots = InlineArray<N, Int32>(repeating: -1)
    private var values = InlineArray<N, UInt32>(repeating: 0)

    mutating func add(slot: Int64) {
        let slot32 = Int32(truncatingIfNeeded: slot)
        let i = Int(slot % Int64(N))
        if slots[i] != slot32 {
            slots[i] = slot32
            values[i] = 0
        }
        if values[i] < .max { values[i] += 1 }
    }

    func sum(since first: Int64) -> Int {
        let first32 = Int32(truncatingIfNeeded: first)
        var s = 0
        for i in 0..<N where slots[i] >= first32 { s += Int(values[i]) }
        return s
    }
}

/// The most recent distinct values (as hashes) with the time each was last
/// seen; at most `capacity`, so distinct counts saturate there. One array
/// of pairs, allocated on the first value.
struct RecentDistinct: Sendable {
    static let capacity = 32
    private var entries: [(hash: UInt64, seen: Int64)] = []

    mutating func add(_ h: UInt64, at t: Int64) {
        if let i = entries.firstIndex(where: { $0.hash == h }) {
            entries[i].seen = max(entries[i].seen, t)
            return
        }
        if entries.count < Self.capacity {
            entries.append((h, t))
            return
        }
        let oldest = entries.indices.min { entries[$0].seen < entries[$1].seen }!
        entries[oldest] = (h, t)
    }

    func counts(at t: Int64) -> WindowCounts {
        var c = WindowCounts(0, 0, 0)
        for e in entries {
            if e.seen >= t - 300_000 { c.fiveMinutes += 1 }
            if e.seen >= t - 3_600_000 { c.oneHour += 1 }
            if e.seen >= t - 86_400_000 { c.day += 1 }
        }
        return c
    }
}

/// Velocity counters for every environment, kept in memory and bounded:
/// each event costs a fixed number of dictionary operations, and keys idle
/// for 24 hours are dropped when the table reaches its capacity.
public final class VelocityTracker: Sendable {
    struct VisitorEntry: Sendable {
        var events = BucketSeries()
        var ips = RecentDistinct()
        var countries = RecentDistinct()
        var linkedIDs = RecentDistinct()
        var last: Int64 = 0
    }

    struct IPEntry: Sendable {
        var events = BucketSeries()
        var last: Int64 = 0
    }

    struct LinkedEntry: Sendable {
        var ips = RecentDistinct()
        var visitors = RecentDistinct()
        var last: Int64 = 0
    }

    struct State: Sendable {
        var visitors: [UInt64: VisitorEntry] = [:]
        var ips: [UInt64: IPEntry] = [:]
        var linked: [UInt64: LinkedEntry] = [:]
    }

    private let state = Mutex(State())
    public let capacity: Int

    /// `capacity`: keys kept per kind (visitors, IPs, linked ids).
    public init(capacity: Int = 200_000) { self.capacity = capacity }

    /// Counts the event and returns the counters including it.
    public func record(
        environmentID: String, visitorID: String, ip: String, country: String?, linkedID: String?, at t: Int64
    ) -> VelocityCounts {
        let vk = Self.key("v", environmentID, visitorID)
        let ik = Self.key("i", environmentID, ip)
        let ipHash = Self.key("", "", ip)
        let countryHash = country.map { Self.key("", "", $0) }
        return state.withLock { s in
            Self.trim(&s.visitors, capacity: capacity, now: t)
            Self.trim(&s.ips, capacity: capacity, now: t)
            Self.trim(&s.linked, capacity: capacity, now: t)

            var v = s.visitors[vk] ?? VisitorEntry()
            v.events.add(t)
            v.ips.add(ipHash, at: t)
            if let countryHash { v.countries.add(countryHash, at: t) }
            if let linkedID { v.linkedIDs.add(Self.key("", "", linkedID), at: t) }
            v.last = t
            s.visitors[vk] = v

            var i = s.ips[ik] ?? IPEntry()
            i.events.add(t)
            i.last = t
            s.ips[ik] = i

            var counts = VelocityCounts(
                distinctIP: v.ips.counts(at: t),
                distinctLinkedID: linkedID == nil ? nil : v.linkedIDs.counts(at: t),
                distinctCountry: countryHash == nil ? nil : v.countries.counts(at: t),
                events: v.events.counts(at: t), ipEvents: i.events.counts(at: t))
            if let linkedID {
                let lk = Self.key("l", environmentID, linkedID)
                var l = s.linked[lk] ?? LinkedEntry()
                l.ips.add(ipHash, at: t)
                l.visitors.add(Self.key("", "", visitorID), at: t)
                l.last = t
                s.linked[lk] = l
                counts.distinctIPByLinkedID = l.ips.counts(at: t)
                counts.distinctVisitorByLinkedID = l.visitors.counts(at: t)
            }
            return counts
        }
    }

    /// Forgets a visitor's counters (erasure).
    public func forget(environmentID: String, visitorID: String) {
        let vk = Self.key("v", environmentID, visitorID)
        _ = state.withLock { $0.visitors.removeValue(forKey: vk) }
    }

    public var keyCount: Int { state.withLock { $0.visitors.count + $0.ips.count + $0.linked.count } }


    static func trim<E>(_ table: inout [UInt64: E], capacity: Int, now: Int64) where E: HasLast {
        guard table.count >= capacity else { return }
        table = table.filter { $0.value.last >= now - 86_400_000 }
        if table.count >= capacity {
            // Still full of active keys: keep the most recent half.
            let cut = table.values.map(\.last).sorted()[table.count / 2]
            table = table.filter { $0.value.last > cut }
        }
    }

    static func key(_ kind: String, _ environment: String, _ value: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in [kind, environment, value] {
            for b in part.utf8 {
                h ^= UInt64(b)
                h &*= 0x100_0000_01b3
            }
            h ^= 0xff
            h &*= 0x100_0000_01b3
        }
        return h
    }
}

protocol HasLast { var last: Int64 { get } }
extension VelocityTracker.VisitorEntry: HasLast {}
extension VelocityTracker.IPEntry: HasLast {}
extension VelocityTracker.LinkedEntry: HasLast {}
