import ArgusCore
import Foundation
import Testing

@testable import ArgusRisk

enum RiskData {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The bundled table (a copy of binlist's ranges; see Sources/ArgusServer/Resources/risk/SOURCE.md).
    static let table: BINTable = try! BINTable(csv: text("Sources/ArgusServer/Resources/risk/bin-ranges.csv"))
    static let timezones = TimezoneCountries(tsv: try! text("Sources/ArgusServer/Resources/risk/zone-countries.tsv"))

    static func event() throws -> JSON {
        try JSONParser.parse(Array(try text("Tests/ArgusRiskTests/Fixtures/get_event_200.json").utf8))
    }
}

@Suite struct BINTableTests {
    let table = RiskData.table

    @Test func loadsEveryRowOfTheBundledTable() {
        // 5805 data rows under the header.
        #expect(table.count == 5805)
    }

    @Test func sixDigitRowsAndQuotedFields() throws {
        let amex = try #require(table.lookup("341142"))
        #expect(amex.scheme == "amex")
        #expect(amex.country == "US")
        #expect(amex.type == "credit")
        #expect(amex.bankName == "AMERICAN EXPRESS")
        // Longer BINs fall back to the 6-digit row.
        #expect(table.lookup("34114299")?.iinStart == "341142")
        // A bank name with a comma, quoted in the CSV.
        #expect(table.lookup("400390")?.bankName == "BANK OF AMERICA, N.A. (USA)")
        #expect(table.lookup("360218")?.bankCity == "Quito")
        #expect(table.lookup("360218")?.bankPhone == "+593 2 297 3100")
    }

    @Test func longestPrefixWins() throws {
        // 45710516 has its own 8-digit row (brand, number length) under the 6-digit row 457105.
        let eight = try #require(table.lookup("45710516"))
        #expect(eight.iinStart == "45710516")
        #expect(eight.brand == "Visa/Dankort")
        #expect(eight.numberLength == 16)
        let six = try #require(table.lookup("45710599"))
        #expect(six.iinStart == "457105")
        #expect(six.brand == nil)
        // 7 digits cannot match an 8-digit row.
        #expect(table.lookup("4571051")?.iinStart == "457105")
    }

    @Test func rangesAreInclusive() throws {
        // 371241–371242 (6 digits) and 45710040–45710045 (8 digits).
        #expect(table.lookup("371241")?.iinEnd == "371242")
        #expect(table.lookup("371242")?.iinStart == "371241")
        #expect(table.lookup("37124299")?.iinStart == "371241")
        #expect(table.lookup("45710040")?.bankName == "Nordea")
        #expect(table.lookup("45710045")?.iinStart == "45710040")
        #expect(table.lookup("45710046")?.iinStart == "45710046")
    }

    @Test func prepaidRows() {
        #expect(table.lookup("453748")?.prepaid == true)
        #expect(table.lookup("453748")?.country == "CA")
        #expect(table.lookup("453704")?.prepaid == false)
        #expect(table.lookup("516511")?.prepaid == true)
    }

    @Test func invalidBINsMatchNothing() {
        for bad in ["", "34114", "341142999", "34114a", " 341142", "３４１１４２"] {
            #expect(!BINTable.isValidBIN(bad), "\(bad)")
            #expect(table.lookup(bad) == nil)
        }
        #expect(BINTable.isValidBIN("341142"))
        #expect(BINTable.isValidBIN("34114299"))
        // A valid BIN with no row.
        #expect(table.lookup("999999") == nil)
    }

    @Test func nestedRangesPickTheNarrowest() throws {
        let t = try BINTable(records: [
            BINRecord(iinStart: "400000", iinEnd: "499999", country: "US"),
            BINRecord(iinStart: "412000", iinEnd: "412999", country: "GB"),
            BINRecord(iinStart: "412345", country: "FR"),
        ])
        #expect(t.lookup("412345")?.country == "FR")
        #expect(t.lookup("412346")?.country == "GB")
        #expect(t.lookup("413000")?.country == "US")
        #expect(t.lookup("399999") == nil)
    }

    @Test func badTablesAreRejectedWithTheLine() {
        #expect(throws: BINTableError.self) { try BINTable(csv: "scheme,country\nvisa,US\n") }
        do {
            _ = try BINTable(csv: "iin_start,iin_end\n411111,\n41x111,\n")
            Issue.record("accepted a letter in iin_start")
        } catch {
            #expect(error.line == 3)
        }
        #expect(throws: BINTableError.self) { try BINTable(csv: "iin_start,iin_end\n411111,411110\n") }
    }

    @Test func timezoneCountries() {
        let tz = RiskData.timezones
        #expect(tz.country("Europe/Berlin") == "DE")
        #expect(tz.country("Europe/Prague") == "CZ")
        #expect(tz.country("America/New_York") == "US")
        // Old names that Chrome still reports.
        #expect(tz.country("Asia/Calcutta") == "IN")
        #expect(tz.country("Europe/Kiev") == "UA")
        #expect(tz.country("UTC") == nil)
    }
}
