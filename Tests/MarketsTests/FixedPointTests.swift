import Foundation
import Testing
@testable import Markets

@Suite("Fixed-point parsing and formatting")
struct FixedPointTests {
    @Test("FixedPointDollars parses exactly", arguments: [
        ("0.56", Int64(560_000)), ("0.5600", 560_000), ("0.005", 5_000), ("0.123456", 123_456),
        ("1", 1_000_000), ("500.00", 500_000_000), ("-12.345678", -12_345_678), ("0", 0), ("-0.0001", -100),
        ("0.5600000000", 560_000), ("007.5", 7_500_000),
    ])
    func dollarsParse(text: String, micros: Int64) throws {
        #expect(try Dollars(parsing: text).micros == micros)
    }

    @Test("FixedPointDollars rejects malformed input, naming it", arguments: [
        "", "1e3", "NaN", "-", "0.1234567", "99999999999999999999", "9223372036855", ".5", "5.", "+1",
        " 1", "1 ", "1.2.3", "0x10", "--1", "1,5", "inf", "٣",
    ])
    func dollarsReject(text: String) {
        do {
            _ = try Dollars(parsing: text)
            Issue.record("accepted \"\(text)\"")
        } catch {
            #expect(error.kind == "FixedPointDollars")
            #expect(String(describing: error).contains("\"\(text)\""))
        }
    }

    @Test("specific reasons for specific faults")
    func reasons() {
        #expect(throws: FixedPointError(kind: "FixedPointDollars", input: "", reason: .empty)) { try Dollars(parsing: "") }
        #expect(throws: FixedPointError(kind: "FixedPointDollars", input: "-", reason: .missingDigits)) { try Dollars(parsing: "-") }
        #expect(throws: FixedPointError(kind: "FixedPointDollars", input: "0.1234567", reason: .tooManyDecimals(maximum: 6))) {
            try Dollars(parsing: "0.1234567")
        }
        #expect(throws: FixedPointError(kind: "FixedPointDollars", input: "1e3", reason: .unexpectedCharacter("e", offset: 1))) {
            try Dollars(parsing: "1e3")
        }
        #expect(throws: FixedPointError(kind: "FixedPointDollars", input: "99999999999999999999", reason: .overflow)) {
            try Dollars(parsing: "99999999999999999999")
        }
        #expect(throws: FixedPointError(kind: "FixedPointCount", input: "0.001", reason: .tooManyDecimals(maximum: 2))) {
            try Contracts(parsing: "0.001")
        }
    }

    @Test("FixedPointCount parses exactly", arguments: [
        ("10.00", Int64(1_000)), ("10", 1_000), ("0.01", 1), ("-3.50", -350), ("0.010", 1), ("1000000", 100_000_000),
    ])
    func countParse(text: String, hundredths: Int64) throws {
        #expect(try Contracts(parsing: text).hundredths == hundredths)
    }

    @Test("FixedPointCount rejects malformed input", arguments: [
        "", "1e3", "NaN", "-", "0.001", "92233720368547759", "1.", "abc",
    ])
    func countReject(text: String) {
        #expect(throws: FixedPointError.self) { try Contracts(parsing: text) }
    }

    @Test("wire formatting round-trips", arguments: [
        ("0.56", "0.56"), ("0.5600", "0.56"), ("0.005", "0.005"), ("500", "500.00"), ("-1.5", "-1.50"),
        ("0.123456", "0.123456"), ("0", "0.00"),
    ])
    func dollarsFormat(text: String, wire: String) throws {
        let value = try Dollars(parsing: text)
        #expect(value.wireString == wire)
        #expect(try Dollars(parsing: value.wireString) == value)
    }

    /// The formatting as first written (Character-based), the reference for the byte-writing one.
    static func referenceFormat(_ value: Int64, scale: Int, minimumDecimals: Int) -> String {
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<scale { divisor *= 10 }
        let whole = magnitude / divisor
        var fraction = String(magnitude % divisor)
        fraction = String(repeating: "0", count: scale - fraction.count) + fraction
        while fraction.count > minimumDecimals, fraction.last == "0" { fraction.removeLast() }
        let sign = value < 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    @Test("wire formatting of 200,000 seeded values (and the extremes) matches the reference, for dollars and counts")
    func formatMatchesReference() throws {
        var generator = SplitMix64(seed: 99)
        let extremes: [Int64] = [0, 1, -1, 9, 10, 99, 100, 101, 999_999, 1_000_000, 1_000_001, -1_000_000, .max, .min, .max - 1, .min + 1]
        let values = extremes + (0..<200_000).map { index -> Int64 in
            let raw = Int64(bitPattern: generator.next())
            return index % 3 == 0 ? raw : raw % Int64(pow(10, Double(index % 12)) + 1)
        }
        for value in values {
            #expect(Dollars(micros: value).wireString == Self.referenceFormat(value, scale: 6, minimumDecimals: 2), "\(value)")
            #expect(Contracts(hundredths: value).wireString == Self.referenceFormat(value, scale: 2, minimumDecimals: 2), "\(value)")
        }
    }

    @Test("count formatting always has two decimals")
    func countFormat() throws {
        #expect(try Contracts(parsing: "10").wireString == "10.00")
        #expect(try Contracts(parsing: "0.01").wireString == "0.01")
        #expect(try Contracts(parsing: "-2.5").wireString == "-2.50")
        #expect(try Contracts.whole(25).description == "25.00")
    }

    @Test("human descriptions carry the dollar sign and sign")
    func descriptions() throws {
        #expect(try Dollars(parsing: "500").description == "$500.00")
        #expect(try Dollars(parsing: "-0.0525").description == "-$0.0525")
        #expect(try Price(parsing: "0.56").description == "$0.56")
    }

    @Test("legacy integer cents")
    func legacyCents() throws {
        #expect(try Dollars.cents(48).micros == 480_000)
        #expect(try Price(cents: 48).wireString == "0.48")
        #expect(try Dollars(parsing: "0.4800").exactCents == 48)
        #expect(try Dollars(parsing: "0.485").exactCents == nil)
        #expect(throws: FixedPointError.self) { try Price(cents: 0) }
        #expect(throws: FixedPointError.self) { try Price(cents: 100) }
        #expect(throws: ArithmeticOverflowError.self) { try Dollars.cents(.max) }
    }

    @Test("prices lie strictly between 0 and 1", arguments: ["0", "1", "1.00", "-0.5", "2"])
    func priceRange(text: String) {
        #expect(throws: FixedPointError.self) { try Price(parsing: text) }
    }

    @Test("complement is exact")
    func complement() throws {
        #expect(try Price(parsing: "0.56").complement == Price(parsing: "0.44"))
        #expect(try Price(parsing: "0.0001").complement.wireString == "0.9999")
    }

    @Test("checked arithmetic reports overflow instead of trapping")
    func checkedArithmetic() throws {
        let big = Dollars(micros: .max)
        #expect(throws: ArithmeticOverflowError.self) { try big.adding(Dollars(micros: 1)) }
        #expect(throws: ArithmeticOverflowError.self) { try Dollars(micros: .min).subtracting(Dollars(micros: 1)) }
        #expect(throws: ArithmeticOverflowError.self) { try big.multiplied(by: 2) }
        #expect(throws: ArithmeticOverflowError.self) { try Contracts(hundredths: .max).adding(Contracts(hundredths: 1)) }
        #expect(throws: ArithmeticOverflowError.self) { try Dollars.whole(.max / 10) }
        #expect(try Dollars(parsing: "1.25").adding(Dollars(parsing: "0.75")) == Dollars(parsing: "2"))
        #expect(try Contracts(parsing: "10").subtracting(Contracts(parsing: "12.5")) == Contracts(parsing: "-2.5"))
    }

    @Test("notional rounds in the caller's direction")
    func notional() throws {
        let price = try Price(parsing: "0.123456")
        let tiny = try Contracts(parsing: "0.01")
        #expect(try price.notional(tiny, rounding: .up).micros == 1_235)
        #expect(try price.notional(tiny, rounding: .down).micros == 1_234)
        #expect(try Price(parsing: "0.56").notional(Contracts(parsing: "25")) == Dollars(parsing: "14"))
    }

    @Test("cent rounding in both directions, including negatives")
    func centRounding() throws {
        #expect(try Dollars(parsing: "0.0525").roundedToCents(.up) == Dollars(parsing: "0.06"))
        #expect(try Dollars(parsing: "0.0525").roundedToCents(.down) == Dollars(parsing: "0.05"))
        #expect(try Dollars(parsing: "-0.0525").roundedToCents(.down) == Dollars(parsing: "-0.06"))
        #expect(try Dollars(parsing: "-0.0525").roundedToCents(.up) == Dollars(parsing: "-0.05"))
    }

    @Test("JSON: strings and numbers decode exactly, encoding is the wire string")
    func json() throws {
        struct Payload: Codable { let price: Dollars; let count: Contracts; let p: Price }
        let fromStrings = try JSONDecoder().decode(Payload.self, from: Data(#"{"price":"0.5600","count":"10.00","p":"0.01"}"#.utf8))
        #expect(fromStrings.price.micros == 560_000)
        let fromNumbers = try JSONDecoder().decode(Payload.self, from: Data(#"{"price":0.56,"count":10,"p":0.01}"#.utf8))
        #expect(fromNumbers.price.micros == 560_000)
        #expect(fromNumbers.count.hundredths == 1_000)
        #expect(fromNumbers.p.micros == 10_000)
        let encoded = String(decoding: try JSONEncoder().encode(fromNumbers.count), as: UTF8.self)
        #expect(encoded == #""10.00""#)
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(Payload.self, from: Data(#"{"price":"1e3","count":"1","p":"0.5"}"#.utf8))
        }
    }

    @Test("long hostile input is shortened in errors")
    func longInput() {
        let hostile = String(repeating: "9", count: 10_000) + "x"
        do {
            _ = try Dollars(parsing: hostile)
            Issue.record("accepted")
        } catch {
            #expect(error.input.count <= 65)
        }
    }
}
