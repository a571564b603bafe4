import Foundation
import ArgusCore

/// One row of a binlist-format table: a BIN (IIN) prefix or an inclusive range of prefixes of one length.
public struct BINRecord: Sendable, Equatable {
    public var iinStart: String
    public var iinEnd: String?
    public var numberLength: Int?
    public var numberLuhn: Bool?
    public var scheme: String?
    public var brand: String?
    /// `debit`, `credit` or `charge` (binlist's `type`).
    public var type: String?
    public var prepaid: Bool
    /// ISO 3166 alpha-2, upper case.
    public var country: String?
    public var bankName: String?
    public var bankURL: String?
    public var bankPhone: String?
    public var bankCity: String?

    public init(
        iinStart: String, iinEnd: String? = nil, numberLength: Int? = nil, numberLuhn: Bool? = nil, scheme: String? = nil,
        brand: String? = nil, type: String? = nil, prepaid: Bool = false, country: String? = nil, bankName: String? = nil,
        bankURL: String? = nil, bankPhone: String? = nil, bankCity: String? = nil
    ) {
        self.iinStart = iinStart
        self.iinEnd = iinEnd
        self.numberLength = numberLength
        self.numberLuhn = numberLuhn
        self.scheme = scheme
        self.brand = brand
        self.type = type
        self.prepaid = prepaid
        self.country = country
        self.bankName = bankName
        self.bankURL = bankURL
        self.bankPhone = bankPhone
        self.bankCity = bankCity
    }

    /// A business, corporate, commercial, purchasing or fleet card, as far as the brand tells.
    public var isCommercial: Bool {
        guard let brand = brand?.lowercased() else { return false }
        return ["business", "corporate", "commercial", "purchasing", "fleet"].contains { brand.contains($0) }
    }

    /// The record as the API shows it (binlist's names; absent values as null).
    public var json: JSON {
        [
            "iin_start": .string(iinStart), "iin_end": JSON(iinEnd), "number_length": JSON(numberLength.map { Int64($0) }),
            "number_luhn": JSON(numberLuhn), "scheme": JSON(scheme), "brand": JSON(brand), "type": JSON(type),
            "prepaid": .bool(prepaid), "commercial": .bool(isCommercial), "country": JSON(country),
            "bank": ["name": JSON(bankName), "url": JSON(bankURL), "phone": JSON(bankPhone), "city": JSON(bankCity)],
        ]
    }
}

public struct BINTableError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "BIN table line \(line): \(reason)" }
}

/// A BIN table with longest-prefix lookup. Rows hold a prefix (`iin_start`) or an inclusive range
/// (`iin_start`…`iin_end`) of prefixes of one length (6 or 8 digits in binlist's data, any 1–8 here).
/// A lookup tries the longest prefix length first; within one length the narrowest matching range wins.
public struct BINTable: Sendable {
    struct Range: Sendable {
        let start: UInt32
        let end: UInt32
        let record: Int
    }

    struct Level: Sendable {
        let length: Int
        /// Sorted by start.
        let ranges: [Range]
        /// `maxEnd[i]`: the largest end among `ranges[0...i]`, bounding the backward scan for nested ranges.
        let maxEnd: [UInt32]
    }

    public let records: [BINRecord]
    /// Longest prefix length first.
    let levels: [Level]

    public var count: Int { records.count }

    /// A BIN is 6 to 8 digits (spec §7).
    public static func isValidBIN(_ s: String) -> Bool {
        (6...8).contains(s.utf8.count) && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    public init(records: [BINRecord]) throws(BINTableError) {
        var byLength: [Int: [Range]] = [:]
        for (i, r) in records.enumerated() {
            guard let start = Self.digits(r.iinStart), (1...8).contains(r.iinStart.utf8.count) else {
                throw BINTableError(line: i + 2, reason: "iin_start '\(r.iinStart)' is not 1–8 digits")
            }
            var end = start
            if let e = r.iinEnd {
                guard let v = Self.digits(e), e.utf8.count == r.iinStart.utf8.count, v >= start else {
                    throw BINTableError(line: i + 2, reason: "iin_end '\(e)' is not a number of iin_start's length at or above it")
                }
                end = v
            }
            byLength[r.iinStart.utf8.count, default: []].append(Range(start: start, end: end, record: i))
        }
        self.records = records
        self.levels = byLength.keys.sorted(by: >).map { length in
            let ranges = byLength[length]!.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
            var maxEnd: [UInt32] = []
            maxEnd.reserveCapacity(ranges.count)
            var m: UInt32 = 0
            for r in ranges {
                m = max(m, r.end)
                maxEnd.append(m)
            }
            return Level(length: length, ranges: ranges, maxEnd: maxEnd)
        }
    }

    /// Parses binlist's CSV (header row with at least `iin_start`; RFC 4180 quoting).
    public init(csv: String) throws(BINTableError) {
        var rows = CSV.rows(csv)
        guard !rows.isEmpty else { throw BINTableError(line: 1, reason: "empty table") }
        let header = rows.removeFirst().map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let startColumn = header.firstIndex(of: "iin_start") else {
            throw BINTableError(line: 1, reason: "no iin_start column")
        }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        let cols = (
            end: column("iin_end"), length: column("number_length"), luhn: column("number_luhn"), scheme: column("scheme"),
            brand: column("brand"), type: column("type"), prepaid: column("prepaid"), country: column("country"),
            bank: column("bank_name"), url: column("bank_url"), phone: column("bank_phone"), city: column("bank_city")
        )
        var records: [BINRecord] = []
        records.reserveCapacity(rows.count)
        for (n, row) in rows.enumerated() {
            if row.count == 1 && row[0].isEmpty { continue }
            func field(_ i: Int?) -> String? {
                guard let i, i < row.count else { return nil }
                let v = row[i].trimmingCharacters(in: .whitespaces)
                return v.isEmpty ? nil : v
            }
            func flag(_ i: Int?) -> Bool? {
                guard let v = field(i)?.lowercased() else { return nil }
                return ["y", "yes", "true", "1"].contains(v)
            }
            guard let start = field(startColumn) else { throw BINTableError(line: n + 2, reason: "iin_start is empty") }
            records.append(
                BINRecord(
                    iinStart: start, iinEnd: field(cols.end), numberLength: field(cols.length).flatMap { Int($0) },
                    numberLuhn: flag(cols.luhn), scheme: field(cols.scheme)?.lowercased(), brand: field(cols.brand),
                    type: field(cols.type)?.lowercased(), prepaid: flag(cols.prepaid) ?? false,
                    country: field(cols.country)?.uppercased(), bankName: field(cols.bank), bankURL: field(cols.url),
                    bankPhone: field(cols.phone), bankCity: field(cols.city)))
        }
        try self.init(records: records)
    }

    /// The record of the longest matching prefix, nil when none matches or `bin` is not a valid BIN.
    public func lookup(_ bin: String) -> BINRecord? {
        guard Self.isValidBIN(bin) else { return nil }
        let digits = Array(bin.utf8)
        for level in levels where level.length <= digits.count {
            var p: UInt32 = 0
            for d in digits[0..<level.length] { p = p * 10 + UInt32(d - 0x30) }
            if let i = level.match(p) { return records[i] }
        }
        return nil
    }

    static func digits(_ s: String) -> UInt32? {
        guard !s.isEmpty, s.utf8.count <= 9, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt32(s)
    }
}

extension BINTable.Level {
    /// The narrowest range holding `p`.
    func match(_ p: UInt32) -> Int? {
        // The last range starting at or before p.
        var lo = 0
        var hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].start <= p { lo = mid + 1 } else { hi = mid }
        }
        var i = lo - 1
        var best: BINTable.Range?
        while i >= 0, maxEnd[i] >= p {
            let r = ranges[i]
            if r.end >= p, best.map({ r.end - r.start < $0.end - $0.start }) ?? true { best = r }
            i -= 1
        }
        return best?.record
    }
}

/// RFC 4180 rows (quoted fields may hold commas, quotes doubled, newlines).
enum CSV {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var i = 0
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(b)
                }
            } else if b == UInt8(ascii: "\"") {
                quoted = true
            } else if b == UInt8(ascii: ",") {
                endField()
            } else if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                if b == UInt8(ascii: "\r"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                endField()
                rows.append(row)
                row = []
            } else {
                field.append(b)
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty {
            endField()
            rows.append(row)
        }
        return rows
    }
}
